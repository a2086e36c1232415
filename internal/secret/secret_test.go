package secret

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestRedact(t *testing.T) {
	Register("s3cr3t&pw", "file-pass")
	cases := []struct{ name, in, want string }{
		{"query password", "clickhouse://127.0.0.1:9440/db?username=u&password=hunter2&secure=true",
			"clickhouse://127.0.0.1:9440/db?username=u&password=xxxxx&secure=true"},
		{"user info", "clickhouse://alice:hunter2@127.0.0.1:9440/db", "clickhouse://alice:xxxxx@127.0.0.1:9440/db"},
		{"no password", "clickhouse://127.0.0.1:19000/cxstar", "clickhouse://127.0.0.1:19000/cxstar"},
		{"registered, plain", `auth failed for "s3cr3t&pw"`, `auth failed for "[redacted]"`},
		{"registered, url-encoded", "dsn ...?x=s3cr3t%26pw", "dsn ...?x=[redacted]"},
		{"registered from file", "got file-pass back", "got [redacted] back"},
		{"log attribute", `level=WARN msg=retry dsn="clickhouse://h:1/d?password=abc def"`, `level=WARN msg=retry dsn="clickhouse://h:1/d?password=xxxxx def"`},
		{"sasl password param", "sasl_password=abc&x=1", "sasl_password=xxxxx&x=1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Redact(c.in); got != c.want {
				t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestRegisterSources(t *testing.T) {
	RegisterEnviron([]string{"CXSTAR_KAFKA_SASL_PASSWORD=env-sasl-pw", "CXSTAR_GRAFANA_TOKEN=env-token-1", "CXSTAR_KAFKA_SASL_PASSWORD_FILE=/path/is/not/secret",
		"CXSTAR_CLICKHOUSE=clickhouse://bob:env-ch-pw@h:9440/db", "HOME=/root"})
	RegisterArgs([]string{"--clickhouse=clickhouse://h:1/db?password=arg-ch-pw", "clickhouse://c:arg-userinfo-pw@h/db"})
	dir := t.TempDir()
	path := filepath.Join(dir, "pw")
	if err := os.WriteFile(path, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ReadFile(path)
	if err != nil || p != "from-a-file" {
		t.Fatalf("ReadFile = %q, %v; want from-a-file", p, err)
	}
	for _, s := range []string{"env-sasl-pw", "env-token-1", "env-ch-pw", "arg-ch-pw", "arg-userinfo-pw", "from-a-file"} {
		if got := Redact("x " + s + " y"); got != "x [redacted] y" {
			t.Errorf("%s: Redact = %q", s, got)
		}
	}
	if got := Redact("/path/is/not/secret"); got != "/path/is/not/secret" {
		t.Errorf("a password file's path was redacted: %q", got)
	}
	if got := Redact("/root"); got != "/root" {
		t.Errorf("HOME was redacted: %q", got)
	}
}

func TestErrorAndWriter(t *testing.T) {
	Register("w-secret-1")
	base := fs.ErrNotExist
	err := Error(fmt.Errorf("open with w-secret-1: %w", base))
	if err.Error() != "open with [redacted]: file does not exist" {
		t.Errorf("Error() = %q", err.Error())
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("the redacted error lost its chain")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
	var buf bytes.Buffer
	w := Writer(&buf)
	n, werr := fmt.Fprintf(w, "level=INFO pw=w-secret-1\n")
	if werr != nil || n != len("level=INFO pw=w-secret-1\n") {
		t.Errorf("Write = %d, %v; want the input length and no error", n, werr)
	}
	if buf.String() != "level=INFO pw=[redacted]\n" {
		t.Errorf("written %q", buf.String())
	}
}

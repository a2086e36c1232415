// Package secret keeps passwords out of what cxstar prints: log lines, error messages, /metrics
// and --help defaults.
//
// Two mechanisms work together. DSN rewrites a connection string so that its password reads
// "xxxxx" (for messages that name a DSN on purpose). Register records secret values — passwords
// read from flags, the environment or files — and Redact, Writer and Error replace every
// occurrence of a registered value, plain or URL-encoded, with "[redacted]" wherever it ended up
// (for instance inside an error of a library that quotes its input).
package secret

import (
	"io"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Mask replaces a password inside a DSN.
const Mask = "xxxxx"

// Replacement replaces a registered secret value in free text.
const Replacement = "[redacted]"

var (
	mu       sync.RWMutex
	values   = map[string]bool{}
	replacer *strings.Replacer

	// password=… inside a query string, and user:password@ in a URL's authority.
	queryPassword = regexp.MustCompile(`(?i)((?:^|[?&\s;])[a-z_]*password=)[^&\s"']*`)
	userPassword  = regexp.MustCompile(`(://[^:/@\s"']*):[^@/\s"']*@`)
)

// Register records values as secrets: from now on Redact, Writer and Error replace them. Empty
// values are ignored; each value is also registered in its URL-encoded forms, as it appears in a
// DSN. Safe for concurrent use.
func Register(vals ...string) {
	mu.Lock()
	defer mu.Unlock()
	changed := false
	for _, v := range vals {
		v = strings.TrimRight(v, "\r\n")
		if v == "" {
			continue
		}
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v), url.UserPassword("u", v).String()[2:]} {
			if form != "" && !values[form] {
				values[form], changed = true, true
			}
		}
	}
	if !changed {
		return
	}
	// Longest first, so that a secret containing another is replaced whole.
	all := make([]string, 0, len(values))
	for v := range values {
		all = append(all, v)
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, v := range all {
		pairs = append(pairs, v, Replacement)
	}
	replacer = strings.NewReplacer(pairs...)
}

// RegisterDSN registers the password of a clickhouse:// (or any URL) DSN, from its user info and
// from a password= parameter. A string that is not a URL registers nothing.
func RegisterDSN(dsn string) {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return
	}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			Register(p)
		}
	}
	for k, vs := range u.Query() {
		if strings.HasSuffix(strings.ToLower(k), "password") {
			Register(vs...)
		}
	}
}

// RegisterEnviron registers secrets found in environment entries ("NAME=value") of cxstar: the
// value of every CXSTAR_… variable whose name contains PASSWORD, SECRET or TOKEN (not _FILE), and the password of
// every CXSTAR_… variable holding a DSN.
func RegisterEnviron(environ []string) {
	for _, kv := range environ {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "CXSTAR_") || val == "" {
			continue
		}
		if (strings.Contains(name, "PASSWORD") || strings.Contains(name, "SECRET") || strings.Contains(name, "TOKEN")) && !strings.HasSuffix(name, "_FILE") {
			Register(val)
		}
		if strings.Contains(val, "://") {
			RegisterDSN(val)
		}
	}
}

// RegisterArgs registers the passwords of DSNs given on a command line (--flag=DSN or a bare
// DSN argument).
func RegisterArgs(args []string) {
	for _, a := range args {
		if i := strings.Index(a, "://"); i >= 0 {
			if j := strings.IndexByte(a[:i], '='); j >= 0 && strings.HasPrefix(a, "-") {
				a = a[j+1:]
			}
			RegisterDSN(a)
		}
	}
}

// ReadFile reads a password file: its content without trailing line breaks, registered as a
// secret. The error names the file, never its content.
func ReadFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	p := strings.TrimRight(string(b), "\r\n")
	Register(p)
	return p, nil
}

// Redact returns s with every registered secret replaced by "[redacted]" and the password of any
// DSN-like text (password=…, scheme://user:password@) replaced by "xxxxx".
func Redact(s string) string {
	mu.RLock()
	r := replacer
	mu.RUnlock()
	if r != nil {
		s = r.Replace(s)
	}
	if strings.Contains(strings.ToLower(s), "password=") {
		s = queryPassword.ReplaceAllString(s, "${1}"+Mask)
	}
	if strings.Contains(s, "://") {
		s = userPassword.ReplaceAllString(s, "${1}:"+Mask+"@")
	}
	return s
}

// DSN returns dsn with its password, if any, replaced by "xxxxx", for messages that name the
// connection. It never fails: text that is not a URL is returned through Redact.
func DSN(dsn string) string {
	return Redact(dsn)
}

// Error returns err with its message redacted, keeping the chain for errors.Is and errors.As.
// It returns nil for nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := Redact(msg); red != msg {
		return &redacted{msg: red, err: err}
	}
	return err
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// Writer returns a writer that redacts each Write before passing it to w. Every Write is
// redacted on its own, so a secret split across two writes would pass: use it under writers that
// write whole lines (log/slog handlers, fmt.Fprintf).
func Writer(w io.Writer) io.Writer { return &writer{w: w} }

type writer struct{ w io.Writer }

func (x *writer) Write(p []byte) (int, error) {
	s := string(p)
	red := Redact(s)
	if red == s {
		return x.w.Write(p)
	}
	if _, err := io.WriteString(x.w, red); err != nil {
		return 0, err
	}
	return len(p), nil
}

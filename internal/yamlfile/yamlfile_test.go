package yamlfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type doc struct {
	Version string `yaml:"version"`
	Limits  []int  `yaml:"limits"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, in string
		want     *doc
		wantErr  string
	}{
		{"yaml", "version: v1\nlimits: [3, 5]\n", &doc{Version: "v1", Limits: []int{3, 5}}, ""},
		{"json", `{"version": "v2", "limits": [7]}`, &doc{Version: "v2", Limits: []int{7}}, ""},
		{"unknown key", "version: v1\nlimit: [3]\n", nil, "decode test file: yaml: unmarshal errors:\n  line 2: field limit not found in type yamlfile.doc"},
		{"wrong type", "version: v1\nlimits: three\n", nil, "decode test file: yaml: unmarshal errors:"},
		{"empty", "", nil, "decode test file: EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode[doc]([]byte(tt.in), "test file")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != tt.want.Version || len(got.Limits) != len(tt.want.Limits) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range got.Limits {
				if got.Limits[i] != tt.want.Limits[i] {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
			}
		})
	}
}

// parseDoc stands for an owning package's Parse: Decode and one check of its own.
func parseDoc(data []byte) (*doc, error) {
	d, err := Decode[doc](data, "test file")
	if err != nil {
		return nil, err
	}
	if d.Version == "" {
		return nil, errors.New("no version")
	}
	return d, nil
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	missing := filepath.Join(dir, "missing.yaml")
	if err := os.WriteFile(good, []byte("version: v3\nlimits: [1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("limits: [1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"good", good, ""},
		{"refused by parse", bad, "test file " + bad + ": no version"},
		{"missing", missing, "read test file: open " + missing + ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(tt.path, "test file", parseDoc)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if d != nil {
					t.Fatalf("got %+v with an error", d)
				}
				return
			}
			if err != nil || d.Version != "v3" || len(d.Limits) != 1 || d.Limits[0] != 1 {
				t.Fatalf("got %+v, %v; want version v3, limits [1]", d, err)
			}
		})
	}
}

func TestMustParse(t *testing.T) {
	if d := MustParse("x/good.yaml", []byte("version: v4\n"), parseDoc); d.Version != "v4" {
		t.Fatalf("version %q, want v4", d.Version)
	}
	defer func() {
		r := recover()
		want := "embedded x/bad.yaml is invalid (fix x/bad.yaml): no version"
		if r != want {
			t.Fatalf("panic %v, want %q", r, want)
		}
	}()
	MustParse("x/bad.yaml", []byte("limits: [2]\n"), parseDoc)
	t.Fatal("MustParse returned for an invalid file")
}

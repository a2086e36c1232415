package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDetectsErrors is the negative control of every "no console errors" check: a page with a
// console.error, an uncaught exception and a missing image must report all three, and a clean
// page none.
func TestDetectsErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.html")
	good := filepath.Join(dir, "good.html")
	os.WriteFile(bad, []byte(`<!doctype html><title>bad</title><img src="missing.png"><script>console.log("just-a-log"); console.error("boom-err"); undefinedFunction();</script>`), 0o644)
	os.WriteFile(good, []byte(`<!doctype html><html lang="en"><title>good</title><p>ok</p>`), 0o644)

	p, err := b.Load(ctx, "file://"+bad, 800, 600)
	if err != nil {
		t.Fatal(err)
	}
	errs := p.Errors()
	joined := ""
	for _, e := range errs {
		joined += e.String() + "\n"
	}
	for _, want := range []string{"boom-err", "undefinedFunction", "missing.png"} {
		if !strings.Contains(joined, want) {
			t.Errorf("errors do not mention %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "just-a-log") {
		t.Errorf("console.log counted as an error:\n%s", joined)
	}
	var title string
	if err := p.Eval(ctx, "document.title", &title); err != nil || title != "bad" {
		t.Errorf("title %q, %v", title, err)
	}
	p.Close(ctx)

	p, err = b.Load(ctx, "file://"+good, 800, 600)
	if err != nil {
		t.Fatal(err)
	}
	if errs := p.Errors(); len(errs) != 0 {
		t.Errorf("clean page reported %v", errs)
	}
	png, err := p.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(png) < 100 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(png))
	}
}

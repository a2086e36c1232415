package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cxstar/cxstar/readability"
)

// stdout runs f with os.Stdout captured.
func stdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() { b, _ := io.ReadAll(r); done <- string(b) }()
	ferr := f()
	w.Close()
	os.Stdout = old
	return <-done, ferr
}

// TestReadabilityCommand: one text from a file as JSON, and a JSON Lines batch whose failing text
// makes the command fail with a count; values are the hand-worked ones of readability's tests.
func TestReadabilityCommand(t *testing.T) {
	dir := t.TempDir()
	one := filepath.Join(dir, "answer.txt")
	os.WriteFile(one, []byte("Мы получили ваше письмо. Ответ готов. Приходите в офис в среду!"), 0o644)
	out, err := stdout(t, func() error {
		return runReadability(context.Background(), []string{"--format", "json", "--segment", "plain", one})
	})
	if err != nil {
		t.Fatal(err)
	}
	var r readability.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil || !r.Pass || r.Segment != "plain" ||
		*r.Indices != (readability.Indices{FleschReadingEase: 87.33, FleschKincaidGrade: 2.28, ColemanLiau: -4.88, ARI: -1.56}) {
		t.Errorf("%s (%v)", out, err)
	}

	batch := filepath.Join(dir, "replies.jsonl")
	os.WriteFile(batch, []byte(`{"id": "ok", "text": "Ответ готов."}`+"\n\n"+`{"id": "hard", "text": "Здравствуйте"}`+"\n"), 0o644)
	out, err = stdout(t, func() error { return runReadability(context.Background(), []string{"--input", "jsonl", batch}) })
	if err == nil || !strings.Contains(err.Error(), "1 of 2 text(s) fail") {
		t.Errorf("error %v, want 1 of 2 failing", err)
	}
	if !strings.Contains(out, "FAIL flesch_reading_ease,ari") || !strings.Contains(out, "pass") {
		t.Errorf("table:\n%s", out)
	}

	if _, err := stdout(t, func() error { return runReadability(context.Background(), []string{"--segment", "martians", one}) }); err == nil || !strings.Contains(err.Error(), "general") {
		t.Errorf("unknown segment: %v", err)
	}
}

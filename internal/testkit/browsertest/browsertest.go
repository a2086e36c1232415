// Package browsertest drives a real headless Chromium (Debian's `chromium`) over the DevTools
// protocol on a pipe (--remote-debugging-pipe: NUL-terminated JSON on file descriptors 3 and 4, no
// websocket and no extra module), so tests can load a page, collect every console message, script
// exception and browser log entry (failed resource loads included), evaluate JavaScript and take a
// full-page screenshot.
//
// Start fails with an error naming the package to install when no browser is found: tests that use
// it fail, never skip (CI must install chromium).
package browsertest

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Entry is one console message, uncaught exception or browser log entry of a page.
type Entry struct {
	Source string // console | exception | log
	Level  string // error, warning, info, log, debug, verbose …
	Text   string
	URL    string
}

// String formats the entry for test failures.
func (e Entry) String() string {
	return fmt.Sprintf("[%s %s] %s (%s)", e.Source, e.Level, e.Text, e.URL)
}

// Browser is a running headless Chromium.
type Browser struct {
	cmd    *exec.Cmd
	in     io.WriteCloser // our end of its fd 3 (commands)
	out    io.ReadCloser  // our end of its fd 4 (responses and events)
	stderr strings.Builder
	dir    string

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan message
	events  map[string][]chan message // by sessionId
	done    chan struct{}
	readErr error
}

type message struct {
	ID        int64                     `json:"id,omitempty"`
	Method    string                    `json:"method,omitempty"`
	Params    json.RawMessage           `json:"params,omitempty"`
	Result    json.RawMessage           `json:"result,omitempty"`
	Error     *struct{ Message string } `json:"error,omitempty"`
	SessionID string                    `json:"sessionId,omitempty"`
}

// Executable returns the Chromium binary: $CXSTAR_CHROMIUM, else chromium, chromium-browser or
// google-chrome on PATH.
func Executable() (string, error) {
	if p := os.Getenv("CXSTAR_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install Debian's package (apt-get install -y chromium) or set CXSTAR_CHROMIUM to a Chrome/Chromium binary")
}

// Start launches headless Chromium with a fresh profile in a temporary folder, with networking
// to Google services, sync, component updates and QUIC disabled (tests must not depend on the internet).
func Start(ctx context.Context) (*Browser, error) {
	exe, err := Executable()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cxstar-chromium-")
	if err != nil {
		return nil, fmt.Errorf("profile folder for Chromium: %w", err)
	}
	cmdR, cmdW, err := os.Pipe() // we write commands, Chromium reads fd 3
	if err != nil {
		return nil, err
	}
	resR, resW, err := os.Pipe() // Chromium writes fd 4, we read
	if err != nil {
		return nil, err
	}
	b := &Browser{in: cmdW, out: resR, dir: dir, pending: map[int64]chan message{}, events: map[string][]chan message{}, done: make(chan struct{})}
	b.cmd = exec.Command(exe,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-quic", "--disable-default-apps", "--disable-extensions", "--no-first-run",
		"--no-default-browser-check", "--mute-audio", "--hide-scrollbars",
		"--user-data-dir="+dir, "--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, resW}
	b.cmd.Stderr = &syncWriter{b: &b.stderr, mu: &b.mu}
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", exe, err)
	}
	cmdR.Close()
	resW.Close()
	go b.readLoop()
	// The browser answers its first command once it is ready.
	if _, err := b.call(ctx, "", "Browser.getVersion", nil); err != nil {
		b.Close()
		return nil, fmt.Errorf("Chromium did not answer on the DevTools pipe: %w\n%s", err, b.Stderr())
	}
	return b, nil
}

type syncWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.b.Len() < 1<<20 {
		w.b.Write(p)
	}
	return len(p), nil
}

// Stderr returns what Chromium printed on its standard error so far (for failure messages).
func (b *Browser) Stderr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stderr.String()
}

func (b *Browser) readLoop() {
	r := bufio.NewReaderSize(b.out, 1<<20)
	for {
		data, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.readErr = fmt.Errorf("DevTools pipe closed: %w", err)
			b.mu.Unlock()
			close(b.done)
			return
		}
		var m message
		if err := json.Unmarshal(data[:len(data)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				delete(b.pending, m.ID)
				ch <- m
			}
		} else {
			for _, ch := range b.events[m.SessionID] {
				select {
				case ch <- m:
				default: // a slow listener loses events rather than blocking the browser
				}
			}
		}
		b.mu.Unlock()
	}
}

// call sends one DevTools command and waits for its result.
func (b *Browser) call(ctx context.Context, session, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan message, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	if _, err := b.in.Write(append(data, 0)); err != nil {
		return nil, fmt.Errorf("send %s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		return m.Result, nil
	case <-b.done:
		return nil, fmt.Errorf("%s: %w", method, b.readErr)
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Close shuts the browser down (Browser.close, then kill after 5 s) and removes its profile.
func (b *Browser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = b.call(ctx, "", "Browser.close", nil)
	b.in.Close()
	waited := make(chan error, 1)
	go func() { waited <- b.cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-waited
	}
	return os.RemoveAll(b.dir)
}

// Page is one loaded tab.
type Page struct {
	b       *Browser
	session string
	events  chan message

	mu      sync.Mutex
	entries []Entry
	stop    chan struct{}
}

// Load opens a new tab of the given viewport width, navigates to url, waits for the load event
// (and then 300 ms for late messages) and returns the page. Every console message, exception and
// log entry from then on is recorded (see Entries and Errors).
func (b *Browser) Load(ctx context.Context, url string, width, height int) (*Page, error) {
	res, err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"})
	if err != nil {
		return nil, err
	}
	var t struct{ TargetID string }
	_ = json.Unmarshal(res, &t)
	res, err = b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true})
	if err != nil {
		return nil, err
	}
	var a struct{ SessionID string }
	_ = json.Unmarshal(res, &a)
	p := &Page{b: b, session: a.SessionID, events: make(chan message, 4096), stop: make(chan struct{})}
	b.mu.Lock()
	b.events[p.session] = append(b.events[p.session], p.events)
	b.mu.Unlock()
	loaded := make(chan struct{}, 1)
	go p.collect(loaded)
	for _, m := range []string{"Runtime.enable", "Log.enable", "Page.enable"} {
		if _, err := b.call(ctx, p.session, m, nil); err != nil {
			return nil, err
		}
	}
	if _, err := b.call(ctx, p.session, "Emulation.setDeviceMetricsOverride",
		map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}); err != nil {
		return nil, err
	}
	res, err = b.call(ctx, p.session, "Page.navigate", map[string]any{"url": url})
	if err != nil {
		return nil, err
	}
	var nav struct{ ErrorText string }
	_ = json.Unmarshal(res, &nav)
	if nav.ErrorText != "" {
		return nil, fmt.Errorf("navigate to %s: %s", url, nav.ErrorText)
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the load event of %s: %w", url, ctx.Err())
	}
	time.Sleep(300 * time.Millisecond)
	return p, nil
}

func (p *Page) collect(loaded chan<- struct{}) {
	for {
		var m message
		select {
		case m = <-p.events:
		case <-p.stop:
			return
		}
		switch m.Method {
		case "Page.loadEventFired":
			select {
			case loaded <- struct{}{}:
			default:
			}
		case "Runtime.consoleAPICalled":
			var ev struct {
				Type string
				Args []struct {
					Value       any
					Description string
				}
				StackTrace struct{ CallFrames []struct{ URL string } }
			}
			_ = json.Unmarshal(m.Params, &ev)
			var parts []string
			for _, a := range ev.Args {
				if a.Value != nil {
					parts = append(parts, fmt.Sprint(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			url := ""
			if len(ev.StackTrace.CallFrames) > 0 {
				url = ev.StackTrace.CallFrames[0].URL
			}
			level := ev.Type
			if level == "assert" {
				level = "error"
			}
			p.add(Entry{Source: "console", Level: level, Text: strings.Join(parts, " "), URL: url})
		case "Runtime.exceptionThrown":
			var ev struct {
				ExceptionDetails struct {
					Text      string
					URL       string
					Exception struct{ Description string }
				}
			}
			_ = json.Unmarshal(m.Params, &ev)
			d := ev.ExceptionDetails
			p.add(Entry{Source: "exception", Level: "error", Text: strings.TrimSpace(d.Text + " " + d.Exception.Description), URL: d.URL})
		case "Log.entryAdded":
			var ev struct {
				Entry struct{ Source, Level, Text, URL string }
			}
			_ = json.Unmarshal(m.Params, &ev)
			e := ev.Entry
			p.add(Entry{Source: "log/" + e.Source, Level: e.Level, Text: e.Text, URL: e.URL})
		}
	}
}

func (p *Page) add(e Entry) {
	p.mu.Lock()
	p.entries = append(p.entries, e)
	p.mu.Unlock()
}

// Entries returns every console message, exception and log entry recorded so far.
func (p *Page) Entries() []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Entry(nil), p.entries...)
}

// Errors returns the entries of level error (console.error, console.assert, uncaught exceptions,
// failed resource loads, security violations) and warning.
func (p *Page) Errors() []Entry {
	var out []Entry
	for _, e := range p.Entries() {
		if e.Level == "error" || e.Level == "warning" {
			out = append(out, e)
		}
	}
	return out
}

// Eval evaluates a JavaScript expression in the page and decodes its (JSON-serialisable) value
// into v.
func (p *Page) Eval(ctx context.Context, expr string, v any) error {
	res, err := p.b.call(ctx, p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		return err
	}
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct{ Text string }
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluate %q: %s", expr, r.ExceptionDetails.Text)
	}
	return json.Unmarshal(r.Result.Value, v)
}

// Screenshot returns a PNG of the whole page (not only the viewport).
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	res, err := p.b.call(ctx, p.session, "Page.captureScreenshot",
		map[string]any{"format": "png", "captureBeyondViewport": true, "fromSurface": true})
	if err != nil {
		return nil, err
	}
	var r struct{ Data string }
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// Close closes the tab.
func (p *Page) Close(ctx context.Context) error {
	close(p.stop)
	p.b.mu.Lock()
	delete(p.b.events, p.session)
	p.b.mu.Unlock()
	_, err := p.b.call(ctx, p.session, "Page.close", nil)
	return err
}

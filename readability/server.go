package readability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"
	"unicode/utf8"
)

// MaxTextBytes is the longest text scored: 64 KiB of UTF-8, the contract's limit of a reply_text.
const MaxTextBytes = 64 << 10

// DefaultMaxBodyBytes is the default request size limit of the HTTP check: 256 KiB, room for a
// 64 KiB text even when every character is JSON-escaped as \uXXXX.
const DefaultMaxBodyBytes = 256 << 10

// Path is the HTTP path of the check.
const Path = "/v1/readability"

// Request is the JSON body of POST /v1/readability.
type Request struct {
	Text    *string `json:"text"`    // required, UTF-8, at most MaxTextBytes
	Segment string  `json:"segment"` // optional; default: the limits file's default segment
}

// ErrorBody is the JSON body of every 4xx answer.
type ErrorBody struct {
	Error   string `json:"error"`   // stable code, e.g. too_large
	Message string `json:"message"` // what to change
}

type handler struct {
	limits  *Limits
	maxBody int64
	log     *slog.Logger
}

// HandlerOption configures NewHandler.
type HandlerOption func(*handler)

// WithLimits sets the limits the texts are checked against. Default: DefaultLimits().
func WithLimits(l *Limits) HandlerOption { return func(h *handler) { h.limits = l } }

// WithMaxBodyBytes sets the largest request body accepted; larger ones get 413. Default:
// DefaultMaxBodyBytes (256 KiB).
func WithMaxBodyBytes(n int64) HandlerOption { return func(h *handler) { h.maxBody = n } }

// WithLogger sets where requests are logged (method, status, body size, duration; never the
// text). Default: slog.Default().
func WithLogger(l *slog.Logger) HandlerOption { return func(h *handler) { h.log = l } }

// NewHandler returns the HTTP check: POST /v1/readability with a JSON Request scores the text and
// answers with a JSON Result; GET /healthz answers ok. The text is held only while the request is
// served: it is not stored, logged or echoed back.
func NewHandler(opts ...HandlerOption) http.Handler {
	h := &handler{limits: DefaultLimits(), maxBody: DefaultMaxBodyBytes, log: slog.Default()}
	for _, o := range opts {
		o(h)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(Path, h.check)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	return mux
}

// NewServer returns an http.Server for h on addr with timeouts that keep slow or idle clients
// from holding connections: 5 s to read headers, 10 s to read the request, 10 s to write.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10}
}

func (h *handler) check(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status, n := h.serve(w, r)
	h.log.Debug("readability check", "method", r.Method, "status", status, "body_bytes", n, "duration", time.Since(start))
}

// serve answers one request and returns the status and the body size read.
func (h *handler) serve(w http.ResponseWriter, r *http.Request) (int, int) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST with a JSON body {\"text\": …}"), 0
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
				fmt.Sprintf("Content-Type %q: send application/json", ct)), 0
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fail(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the request body is over %d bytes; send one text of at most %d bytes", h.maxBody, MaxTextBytes)), len(body)
	case err != nil:
		return fail(w, http.StatusBadRequest, "read_error", "the request body could not be read: "+err.Error()), len(body)
	case len(bytes.TrimSpace(body)) == 0:
		return fail(w, http.StatusBadRequest, "empty_body", "the request body is empty: send {\"text\": \"…\"}"), 0
	case !utf8.Valid(body):
		return fail(w, http.StatusBadRequest, "invalid_utf8", "the request body is not valid UTF-8: encode the text as UTF-8"), len(body)
	}
	var req Request
	dec := json.NewDecoder(bytes.NewReader(body))
	var extra json.RawMessage
	if err := dec.Decode(&req); err != nil || dec.Decode(&extra) != io.EOF {
		return fail(w, http.StatusBadRequest, "invalid_json", "the body must be one JSON object {\"text\": \"…\", \"segment\": \"…\"}"), len(body)
	}
	switch {
	case req.Text == nil:
		return fail(w, http.StatusBadRequest, "missing_text", "the field text is required"), len(body)
	case len(*req.Text) > MaxTextBytes:
		return fail(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("text is %d bytes; the limit is %d (64 KiB)", len(*req.Text), MaxTextBytes)), len(body)
	}
	res, err := h.limits.Score(*req.Text, req.Segment)
	switch {
	case errors.Is(err, ErrUnknownSegment):
		return fail(w, http.StatusUnprocessableEntity, "unknown_segment", err.Error()), len(body)
	case err != nil:
		return fail(w, http.StatusInternalServerError, "internal", err.Error()), len(body)
	case !res.Scored:
		return fail(w, http.StatusUnprocessableEntity, "no_words", "the text has no words (letters or digits): nothing to score"), len(body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(res)
	return http.StatusOK, len(body)
}

func fail(w http.ResponseWriter, status int, code, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(ErrorBody{Error: code, Message: msg})
	return status
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/cxstar/cxstar/readability"
)

// runReadabilityServe is `cxstar readability serve`: the HTTP check on a loopback address by default.
func runReadabilityServe(ctx context.Context, args []string) error {
	fs := newFlagSet("readability serve", "readability serve [flags]\n\n"+
		"Serves the readability check over HTTP until interrupted: POST "+readability.Path+" with a JSON body\n"+
		"{\"text\": \"…\", \"segment\": \"…\"} answers the counts, the indices and pass/fail against the segment's\n"+
		"limits (the JSON of `cxstar readability --format json`); GET /healthz answers ok. Bodies over\n"+
		"--max-body-bytes get 413, non-UTF-8 or malformed ones 400, texts without words 422. Texts are\n"+
		"neither stored nor logged.")
	listen := envString(fs, "listen", "CXSTAR_READABILITY_LISTEN", defaultReadabilityListen, "address to listen on (host:port)")
	maxBody := envInt(fs, "max-body-bytes", "CXSTAR_READABILITY_MAX_BODY_BYTES", readability.DefaultMaxBodyBytes, "largest request body accepted")
	limitsFile := limitsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *maxBody < 1024 {
		return fmt.Errorf("--max-body-bytes %d is below 1024: a request could not carry a sentence", *maxBody)
	}
	limits, err := limitsFile.load()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen on %s (--listen): %w", *listen, err)
	}
	srv := readability.NewServer(*listen, readability.NewHandler(readability.WithLimits(limits), readability.WithMaxBodyBytes(int64(*maxBody))))
	fmt.Printf("readability check on http://%s%s (limits %s); Ctrl-C stops it\n", ln.Addr(), readability.Path, limits.Version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

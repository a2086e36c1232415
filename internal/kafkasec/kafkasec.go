// Package kafkasec turns the Kafka connection settings of cxstar (TLS with a private CA and an
// optional client certificate, SASL PLAIN or SCRAM) into what segmentio/kafka-go needs: a
// *kafka.Dialer for readers and consumer groups, a *kafka.Transport for writers. It also checks
// the settings against a broker once at start, so that a wrong password or an untrusted
// certificate stops a command with a clear message instead of endless retries.
package kafkasec

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/cxstar/cxstar/internal/secret"
)

// SASL mechanisms.
const (
	Plain       = "PLAIN"
	SCRAMSHA256 = "SCRAM-SHA-256"
	SCRAMSHA512 = "SCRAM-SHA-512"
)

// Config describes how to reach the brokers. The zero value is plaintext without authentication.
type Config struct {
	// TLS turns TLS on; CAFile, CertFile and ServerName imply it.
	TLS bool
	// CAFile is a PEM file of the CA(s) that signed the brokers' certificates. Default: the
	// system's roots.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and its key, for mutual TLS.
	CertFile, KeyFile string
	// ServerName is the name checked in the brokers' certificates. Default: each broker's host.
	ServerName string
	// InsecureSkipVerify accepts any broker certificate: the connection is encrypted but the
	// broker is not authenticated. Dialer and Transport log a warning when it is set.
	InsecureSkipVerify bool
	// SASLMechanism is "" (no SASL), PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (case-insensitive).
	SASLMechanism string
	// Username is the SASL user.
	Username string
	// Password is the SASL password; PasswordFile, when set, is read instead.
	Password     string
	PasswordFile string
	// DialTimeout bounds connecting, the TLS handshake and SASL. Default: 10 s.
	DialTimeout time.Duration
}

// UsesTLS reports whether the connection is TLS.
func (c Config) UsesTLS() bool {
	return c.TLS || c.CAFile != "" || c.CertFile != "" || c.ServerName != "" || c.InsecureSkipVerify
}

// String describes the settings for logs, without the password.
func (c Config) String() string {
	var parts []string
	if c.UsesTLS() {
		t := "TLS"
		if c.CAFile != "" {
			t += " (CA " + c.CAFile + ")"
		}
		if c.CertFile != "" {
			t += " with client certificate " + c.CertFile
		}
		if c.InsecureSkipVerify {
			t += " WITHOUT verifying the broker"
		}
		parts = append(parts, t)
	} else {
		parts = append(parts, "plaintext")
	}
	if c.SASLMechanism != "" {
		parts = append(parts, "SASL "+strings.ToUpper(c.SASLMechanism)+" as "+c.Username)
	}
	return strings.Join(parts, ", ")
}

// TLSConfig returns the client TLS configuration, or nil for plaintext.
func (c Config) TLSConfig() (*tls.Config, error) {
	if !c.UsesTLS() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName, InsecureSkipVerify: c.InsecureSkipVerify}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read the Kafka CA file (--kafka-ca-file): %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("Kafka CA file %s (--kafka-ca-file) holds no PEM certificate", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return nil, fmt.Errorf("--kafka-cert-file and --kafka-key-file go together (client certificate and its key)")
	}
	if c.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load the Kafka client certificate (--kafka-cert-file, --kafka-key-file): %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// Mechanism returns the SASL mechanism, or nil without SASL. The password is read from
// PasswordFile when set and registered with package secret.
func (c Config) Mechanism() (sasl.Mechanism, error) {
	if c.SASLMechanism == "" {
		if c.Username != "" || c.PasswordFile != "" {
			return nil, fmt.Errorf("a Kafka SASL user or password is set but no mechanism: add --kafka-sasl-mechanism SCRAM-SHA-512 (or SCRAM-SHA-256, PLAIN)")
		}
		return nil, nil
	}
	pw := c.Password
	if c.PasswordFile != "" {
		p, err := secret.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("read the Kafka SASL password file (--kafka-sasl-password-file): %w", err)
		}
		pw = p
	}
	secret.Register(pw)
	if c.Username == "" || pw == "" {
		return nil, fmt.Errorf("Kafka SASL %s needs a user (--kafka-sasl-user) and a password (--kafka-sasl-password-file or CXSTAR_KAFKA_SASL_PASSWORD)", c.SASLMechanism)
	}
	switch strings.ToUpper(c.SASLMechanism) {
	case Plain:
		if !c.UsesTLS() {
			slog.Warn("Kafka SASL PLAIN without TLS sends the password in clear text: add --kafka-tls (or use SCRAM)")
		}
		return plain.Mechanism{Username: c.Username, Password: pw}, nil
	case SCRAMSHA256:
		return scram.Mechanism(scram.SHA256, c.Username, pw)
	case SCRAMSHA512:
		return scram.Mechanism(scram.SHA512, c.Username, pw)
	}
	return nil, fmt.Errorf("unknown Kafka SASL mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.SASLMechanism)
}

func (c Config) timeout() time.Duration {
	if c.DialTimeout > 0 {
		return c.DialTimeout
	}
	return 10 * time.Second
}

func (c Config) warn() {
	if c.InsecureSkipVerify {
		slog.Warn("Kafka TLS certificate verification is OFF (--kafka-insecure-skip-verify): traffic is encrypted but anyone on the path can pose as the broker; give --kafka-ca-file instead")
	}
}

// Dialer returns a kafka-go Dialer for readers and consumer groups (nil error, plaintext
// settings: a Dialer without TLS or SASL).
func (c Config) Dialer() (*kafka.Dialer, error) {
	d, _, err := c.Client()
	return d, err
}

// Transport returns a kafka-go Transport for writers.
func (c Config) Transport() (*kafka.Transport, error) {
	_, t, err := c.Client()
	return t, err
}

// Client returns the Dialer (readers and consumer groups) and the Transport (writers) of c,
// built from one reading of the TLS and SASL settings; it warns when certificate verification
// is off.
func (c Config) Client() (*kafka.Dialer, *kafka.Transport, error) {
	t, err := c.TLSConfig()
	if err != nil {
		return nil, nil, err
	}
	m, err := c.Mechanism()
	if err != nil {
		return nil, nil, err
	}
	c.warn()
	return &kafka.Dialer{Timeout: c.timeout(), DualStack: true, TLS: t, SASLMechanism: m},
		&kafka.Transport{DialTimeout: c.timeout(), TLS: t, SASL: m}, nil
}

// SettingsError is a failure that retrying cannot cure: the broker's certificate is not trusted,
// the broker refused the credentials or the client certificate, or the broker speaks TLS and
// the client not (or the other way round).
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// Check connects to each of brokers in turn with d until one answers a metadata request, and
// returns nil then. An error that settings cause (see SettingsError) is returned at once, with
// what to change; when no broker can be reached at all it returns the last network error
// (callers that wait for the brokers may go on).
func Check(ctx context.Context, d *kafka.Dialer, brokers []string) error {
	var last error
	for _, b := range brokers {
		cctx, cancel := context.WithTimeout(ctx, d.Timeout+5*time.Second)
		conn, err := d.DialContext(cctx, "tcp", b)
		if err == nil {
			_ = conn.SetDeadline(time.Now().Add(d.Timeout))
			_, err = conn.Brokers()
			conn.Close()
		}
		cancel()
		if err == nil {
			return nil
		}
		err = Explain(d.TLS != nil, b, err)
		var se *SettingsError
		if errors.As(err, &se) {
			return err
		}
		last = err
	}
	if last == nil {
		return fmt.Errorf("no Kafka broker given (--brokers)")
	}
	return last
}

// Explain adds what to do to a connection error of broker addr; usingTLS tells whether the client
// spoke TLS. Errors caused by the settings come back as *SettingsError.
func Explain(usingTLS bool, addr string, err error) error {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var rec tls.RecordHeaderError
	var kerr kafka.Error
	switch {
	case errors.As(err, &unknown):
		return &SettingsError{fmt.Errorf("Kafka broker %s: its certificate is not signed by a trusted CA: give the CA that signed it with --kafka-ca-file: %w", addr, err)}
	case errors.As(err, &hostname):
		return &SettingsError{fmt.Errorf("Kafka broker %s: its certificate does not name the address dialled: use a name it holds or set --kafka-server-name: %w", addr, err)}
	case errors.As(err, &invalid):
		return &SettingsError{fmt.Errorf("Kafka broker %s: its certificate is invalid (expired or not for servers): %w", addr, err)}
	case errors.As(err, &rec):
		return &SettingsError{fmt.Errorf("Kafka broker %s does not speak TLS: drop --kafka-tls/--kafka-ca-file or use the broker's TLS listener: %w", addr, err)}
	case strings.Contains(err.Error(), "remote error: tls:"):
		return &SettingsError{fmt.Errorf("Kafka broker %s refused the TLS handshake (does it want a client certificate signed by a CA it trusts? --kafka-cert-file, --kafka-key-file): %w", addr, err)}
	case errors.As(err, &kerr) && (kerr == kafka.SASLAuthenticationFailed || kerr == kafka.UnsupportedSASLMechanism || kerr == kafka.IllegalSASLState):
		return &SettingsError{fmt.Errorf("Kafka broker %s refused the SASL login: check --kafka-sasl-user, the password (--kafka-sasl-password-file or CXSTAR_KAFKA_SASL_PASSWORD) and --kafka-sasl-mechanism: %w", addr, err)}
	case !usingTLS && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF)):
		return &SettingsError{fmt.Errorf("Kafka broker %s closed the connection at once: it probably wants TLS (--kafka-tls, --kafka-ca-file) or SASL (--kafka-sasl-mechanism): %w", addr, err)}
	case usingTLS && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		return &SettingsError{fmt.Errorf("Kafka broker %s closed the TLS connection: it may refuse the client certificate (--kafka-cert-file) or want SASL (--kafka-sasl-mechanism): %w", addr, err)}
	}
	if usingTLS && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("Kafka broker %s did not complete the TLS handshake: is this its TLS listener? (a plaintext listener never answers a TLS client): %w", addr, err)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return fmt.Errorf("Kafka broker %s is not reachable (is it up? check --brokers): %w", addr, err)
	}
	return fmt.Errorf("Kafka broker %s: %w", addr, err)
}

package store

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/cxstar/cxstar/internal/secret"
)

// DSN parameters that cxstar reads itself (clickhouse-go would send unknown parameters to the
// server as settings). With secure=true, skip_verify and tls_server_name of clickhouse-go, they
// describe the whole connection in one string:
//
//	clickhouse://ingest@ch.example:9440/cxstar?secure=true&tls_ca_file=/etc/cxstar/ca.pem&password_file=/run/secrets/ch
const (
	ParamCAFile       = "tls_ca_file"   // PEM file of the CA(s) that signed the server's certificate (default: the system's roots)
	ParamCertFile     = "tls_cert_file" // PEM client certificate presented to the server (mutual TLS); needs tls_key_file
	ParamKeyFile      = "tls_key_file"  // PEM private key of tls_cert_file
	ParamPasswordFile = "password_file" // file whose content (trailing line breaks removed) is the password
)

// ownParams lists the parameters removed before clickhouse-go parses the DSN.
var ownParams = []string{ParamCAFile, ParamCertFile, ParamKeyFile, ParamPasswordFile}

// splitOwnParams removes cxstar's own parameters from dsn and returns them.
func splitOwnParams(dsn string) (string, map[string]string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	own := map[string]string{}
	for _, p := range ownParams {
		if q.Has(p) {
			own[p] = q.Get(p)
			q.Del(p)
		}
	}
	if len(own) == 0 {
		return dsn, own, nil
	}
	u.RawQuery = q.Encode()
	return u.String(), own, nil
}

// applyOwnParams reads the password file and builds the TLS configuration of opts.
func applyOwnParams(opts *clickhouse.Options, own map[string]string) error {
	if path := own[ParamPasswordFile]; path != "" {
		if opts.Auth.Password != "" {
			return fmt.Errorf("ClickHouse DSN has both a password and %s: give the password once", ParamPasswordFile)
		}
		p, err := secret.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read the ClickHouse password file (%s): %w", ParamPasswordFile, err)
		}
		opts.Auth.Password = p
	}
	ca, cert, key := own[ParamCAFile], own[ParamCertFile], own[ParamKeyFile]
	if ca == "" && cert == "" && key == "" {
		return nil
	}
	if opts.TLS == nil {
		return fmt.Errorf("ClickHouse DSN sets %s, %s or %s without secure=true: add secure=true and use the server's tcp_port_secure (often 9440)",
			ParamCAFile, ParamCertFile, ParamKeyFile)
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return fmt.Errorf("read the ClickHouse CA file (%s): %w", ParamCAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("ClickHouse CA file %s (%s) holds no PEM certificate", ca, ParamCAFile)
		}
		opts.TLS.RootCAs = pool
	}
	if (cert == "") != (key == "") {
		return fmt.Errorf("ClickHouse DSN: %s and %s go together (client certificate and its key)", ParamCertFile, ParamKeyFile)
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return fmt.Errorf("load the ClickHouse client certificate (%s, %s): %w", ParamCertFile, ParamKeyFile, err)
		}
		opts.TLS.Certificates = []tls.Certificate{pair}
	}
	opts.TLS.MinVersion = tls.VersionTLS12
	return nil
}

// SettingsError is an error that retrying cannot cure: a DSN that does not parse, a file it
// names that cannot be read, a certificate the client does not trust, credentials the server
// refuses. Services stop on it instead of waiting for the server.
type SettingsError struct{ Err error }

func (e *SettingsError) Error() string { return e.Err.Error() }
func (e *SettingsError) Unwrap() error { return e.Err }

// IsSettingsError reports whether err (or an error it wraps) is a SettingsError.
func IsSettingsError(err error) bool {
	var s *SettingsError
	return errors.As(err, &s)
}

func settings(err error) error { return &SettingsError{Err: err} }

// explainTLS adds what to do to a connection error caused by TLS or by the credentials, and
// returns other errors as they are.
func explainTLS(opts *clickhouse.Options, err error) error {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var rec tls.RecordHeaderError
	var opErr *net.OpError
	var exc *clickhouse.Exception
	switch {
	case errors.As(err, &exc) && (exc.Code == 192 || exc.Code == 193 || exc.Code == 516):
		return settings(fmt.Errorf("ClickHouse refused the user or password: check the DSN's username and its password (password=, password_file=, --clickhouse-password-file or CXSTAR_CLICKHOUSE_PASSWORD): %w", err))
	case errors.As(err, &unknown):
		return settings(fmt.Errorf("the ClickHouse server's certificate is not signed by a trusted CA: give the CA that signed it with %s (--clickhouse-ca-file): %w", ParamCAFile, err))
	case errors.As(err, &hostname):
		return settings(fmt.Errorf("the ClickHouse server's certificate does not name the address dialled: connect by a name it holds, or set tls_server_name (--clickhouse-server-name): %w", err))
	case errors.As(err, &invalid):
		return settings(fmt.Errorf("the ClickHouse server's certificate is invalid (expired or not for servers): %w", err))
	case errors.As(err, &rec):
		return settings(fmt.Errorf("the ClickHouse port does not speak TLS: with secure=true use the server's tcp_port_secure (often 9440), or drop secure=true for the plain port: %w", err))
	case errors.As(err, &opErr) && strings.Contains(err.Error(), "tls:"),
		opts.TLS != nil && errors.Is(err, syscall.ECONNRESET):
		// Also what a restarting server does: not a SettingsError, a service retries it.
		return fmt.Errorf("the ClickHouse server closed the TLS connection: it refused the client certificate (%s, %s: it must be signed by a CA the server trusts) or wants one: %w",
			ParamCertFile, ParamKeyFile, err)
	case opts.TLS == nil && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)):
		return fmt.Errorf("the ClickHouse server closed the connection during the handshake: if this is its TLS port (tcp_port_secure, often 9440) add secure=true (--clickhouse-secure, --clickhouse-ca-file): %w", err)
	}
	return err
}

// TLSSettings are the TLS parameters of a DSN, for configuring other clients of the same server
// (the per-agency tenants, Grafana's ClickHouse datasources).
type TLSSettings struct {
	Secure     bool   // secure=true
	SkipVerify bool   // skip_verify=true
	ServerName string // tls_server_name
	CAFile     string // tls_ca_file
	CertFile   string // tls_cert_file
	KeyFile    string // tls_key_file
}

// TLSOf returns the TLS parameters of dsn.
func TLSOf(dsn string) (TLSSettings, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return TLSSettings{}, fmt.Errorf("parse ClickHouse DSN %q: %w", secret.DSN(dsn), secret.Error(err))
	}
	q := u.Query()
	flag := func(name string) bool {
		v, ok := q[name]
		if !ok {
			return false
		}
		if len(v) == 0 || v[0] == "" {
			return true
		}
		b, _ := strconv.ParseBool(v[0])
		return b
	}
	return TLSSettings{Secure: flag("secure"), SkipVerify: flag("skip_verify"), ServerName: q.Get("tls_server_name"),
		CAFile: q.Get(ParamCAFile), CertFile: q.Get(ParamCertFile), KeyFile: q.Get(ParamKeyFile)}, nil
}

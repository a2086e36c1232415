package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cxstar/cxstar/internal/broker"
	"github.com/cxstar/cxstar/internal/certs"
	"github.com/cxstar/cxstar/internal/secret"
)

func runBroker(ctx context.Context, args []string) error {
	fs := newFlagSet("broker", "broker [flags]\n\nRuns an embedded Kafka-protocol broker (franz-go kfake) on 127.0.0.1 with the topics of docs/events.md\n("+strings.Join(broker.Topics, ", ")+"), until interrupted. For laptops, the demo and tests;\nin production point CXSTAR_KAFKA_BROKERS at a real Kafka cluster instead.\n\nSecure mode (the whole TLS + SCRAM path on a laptop): --tls-generate DIR writes a private CA and\ncertificates into DIR and serves TLS only; --sasl-user NAME with CXSTAR_BROKER_SASL_PASSWORD or\n--sasl-password-file requires SASL (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512) on every connection.\nSee docs/security.md.")
	port := envInt(fs, "port", "CXSTAR_BROKER_PORT", broker.DefaultPort, "127.0.0.1 port to listen on")
	dataDir := envString(fs, "data-dir", "CXSTAR_BROKER_DATA_DIR", "", "directory that keeps messages and committed offsets across restarts (empty: in memory only)")
	partitions := envInt(fs, "partitions", "CXSTAR_BROKER_PARTITIONS", broker.DefaultPartitions, "partitions of each topic")
	minSession := envDuration(fs, "min-session-timeout", "CXSTAR_BROKER_MIN_SESSION_TIMEOUT", 6*time.Second, "shortest consumer-group session timeout accepted")
	tf := addBrokerTLSFlags(fs)
	user := envString(fs, "sasl-user", "CXSTAR_BROKER_SASL_USER", "", "require SASL: the `user` allowed in (any of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)")
	pwFile := envString(fs, "sasl-password-file", "CXSTAR_BROKER_SASL_PASSWORD_FILE", "", "`file` holding the SASL user's password (or set CXSTAR_BROKER_SASL_PASSWORD)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts := []broker.Option{broker.WithPort(*port), broker.WithDataDir(*dataDir), broker.WithPartitions(*partitions), broker.WithMinSessionTimeout(*minSession)}
	security := []string{"plaintext"}
	tlsCfg, caNote, err := tf.config()
	if err != nil {
		return err
	}
	if tlsCfg != nil {
		opts = append(opts, broker.WithTLS(tlsCfg))
		security = []string{"TLS" + caNote}
	}
	if *user != "" {
		pw := os.Getenv("CXSTAR_BROKER_SASL_PASSWORD")
		if *pwFile != "" {
			if pw, err = secret.ReadFile(*pwFile); err != nil {
				return fmt.Errorf("read the SASL password file (--sasl-password-file): %w", err)
			}
		}
		if pw == "" {
			return fmt.Errorf("--sasl-user needs a password: --sasl-password-file FILE or CXSTAR_BROKER_SASL_PASSWORD")
		}
		opts = append(opts, broker.WithSASL(broker.User{Name: *user, Password: pw}))
		security = append(security, "SASL user "+*user+" ("+strings.Join(broker.Mechanisms, ", ")+")")
	}
	b, err := broker.Start(opts...)
	if err != nil {
		return err
	}
	where := "in memory"
	if *dataDir != "" {
		where = "persisted in " + *dataDir
	}
	fmt.Printf("broker listening on %s (topics %s, %d partitions each, %s; %s); Ctrl-C stops it\n",
		strings.Join(b.Addrs(), ","), strings.Join(broker.Topics, ", "), *partitions, where, strings.Join(security, ", "))
	<-ctx.Done()
	b.Close()
	fmt.Fprintln(os.Stderr, "broker stopped")
	return nil
}

// brokerTLSFlags are the TLS flags of `cxstar broker`.
type brokerTLSFlags struct{ genDir, certFile, keyFile, clientCA *string }

// addBrokerTLSFlags defines --tls-generate, --tls-cert-file, --tls-key-file and --tls-client-ca-file.
func addBrokerTLSFlags(fs *flagSet) brokerTLSFlags {
	return brokerTLSFlags{
		genDir:   envString(fs, "tls-generate", "CXSTAR_BROKER_TLS_GENERATE", "", "serve TLS with certificates of a private CA kept in this `dir` (made on first use: ca.pem for clients' --kafka-ca-file, server.pem, client.pem for mutual TLS)"),
		certFile: envString(fs, "tls-cert-file", "CXSTAR_BROKER_TLS_CERT_FILE", "", "serve TLS with this PEM certificate `file` (with --tls-key-file)"),
		keyFile:  envString(fs, "tls-key-file", "CXSTAR_BROKER_TLS_KEY_FILE", "", "PEM private key `file` of --tls-cert-file"),
		clientCA: envString(fs, "tls-client-ca-file", "CXSTAR_BROKER_TLS_CLIENT_CA_FILE", "", "require client certificates signed by the CA in this PEM `file` (mutual TLS)"),
	}
}

// config returns the broker's TLS configuration from the flags (nil: plaintext) and a note for
// the start line.
func (f brokerTLSFlags) config() (*tls.Config, string, error) {
	genDir, certFile, keyFile, clientCA := *f.genDir, *f.certFile, *f.keyFile, *f.clientCA
	note := ""
	if genDir != "" {
		if certFile != "" || keyFile != "" {
			return nil, "", fmt.Errorf("give either --tls-generate or --tls-cert-file/--tls-key-file")
		}
		f, err := certs.WriteDir(genDir)
		if err != nil {
			return nil, "", err
		}
		certFile, keyFile = f.ServerCert, f.ServerKey
		note = ", clients trust " + f.CA
	}
	if certFile == "" && keyFile == "" {
		if clientCA != "" {
			return nil, "", fmt.Errorf("--tls-client-ca-file needs TLS: add --tls-generate DIR or --tls-cert-file and --tls-key-file")
		}
		return nil, "", nil
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, "", fmt.Errorf("load the broker's certificate (--tls-cert-file, --tls-key-file): %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	if clientCA != "" {
		pem, err := os.ReadFile(clientCA)
		if err != nil {
			return nil, "", fmt.Errorf("read --tls-client-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, "", fmt.Errorf("--tls-client-ca-file %s holds no PEM certificate", clientCA)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
		note += ", client certificates required"
	}
	return cfg, note, nil
}

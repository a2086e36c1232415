package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strconv"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
	"github.com/cxstar/cxstar/internal/kafkasec"
	"github.com/cxstar/cxstar/internal/secret"
)

// kafkaFlags are the brokers of a Kafka client command and its TLS and SASL flags.
type kafkaFlags struct {
	brokers *string // comma-separated
	sec     *kafkasec.Config
}

// addKafkaFlags defines --brokers and the Kafka security flags (ingest, produce).
func addKafkaFlags(fs *flagSet) kafkaFlags {
	return kafkaFlags{
		brokers: envString(fs, "brokers", "CXSTAR_KAFKA_BROKERS", "127.0.0.1:19092", "Kafka bootstrap brokers, comma-separated"),
		sec:     kafkaSecurityFlags(fs),
	}
}

// list returns the brokers, one address an item.
func (k kafkaFlags) list() []string { return splitList(*k.brokers) }

// client is kafkaClient for these brokers and settings.
func (k kafkaFlags) client(ctx context.Context) (*kafka.Dialer, kafka.RoundTripper, error) {
	return kafkaClient(ctx, k.sec, k.list())
}

// topicFlags are the topics of the event kinds, defined alike by ingest and produce.
type topicFlags map[ingest.Kind]*string

// topicFlagNames are the flag and the environment variable of each kind's topic, in the order
// they are listed.
var topicFlagNames = []struct {
	kind      ingest.Kind
	flag, env string
}{
	{ingest.KindService, "topic-service-events", "CXSTAR_TOPIC_SERVICE_EVENTS"},
	{ingest.KindRating, "topic-ratings", "CXSTAR_TOPIC_RATINGS"},
	{ingest.KindAppeal, "topic-appeals", "CXSTAR_TOPIC_APPEALS"},
}

// addTopicFlags defines --topic-service-events, --topic-ratings and --topic-appeals, each
// defaulting to the contract's topic of its kind.
func addTopicFlags(fs *flagSet) topicFlags {
	def := ingest.DefaultTopics()
	t := topicFlags{}
	for _, n := range topicFlagNames {
		t[n.kind] = envString(fs, n.flag, n.env, def[n.kind], "topic of "+n.kind.String())
	}
	return t
}

// byKind returns the topic of each kind.
func (t topicFlags) byKind() map[ingest.Kind]string {
	out := make(map[ingest.Kind]string, len(t))
	for k, v := range t {
		out[k] = *v
	}
	return out
}

// names returns the topics in the order of their flags, for logs.
func (t topicFlags) names() []string {
	var out []string
	for _, n := range topicFlagNames {
		out = append(out, *t[n.kind])
	}
	return out
}

// kafkaSecurityFlags defines the TLS and SASL flags of a Kafka client command (ingest, produce,
// simulate --kafka). The SASL password comes from --kafka-sasl-password-file or the environment
// (CXSTAR_KAFKA_SASL_PASSWORD), never from a flag value that `ps` would show.
func kafkaSecurityFlags(fs *flagSet) *kafkasec.Config {
	c := &kafkasec.Config{}
	envBoolVar(fs, &c.TLS, "kafka-tls", "CXSTAR_KAFKA_TLS", "TLS to the brokers (implied by --kafka-ca-file, --kafka-cert-file, --kafka-server-name)")
	fs.StringVar(&c.CAFile, "kafka-ca-file", os.Getenv("CXSTAR_KAFKA_CA_FILE"), "PEM `file` of the CA that signed the brokers' certificates (default: the system's roots) (env CXSTAR_KAFKA_CA_FILE)")
	fs.StringVar(&c.CertFile, "kafka-cert-file", os.Getenv("CXSTAR_KAFKA_CERT_FILE"), "PEM client certificate `file` for mutual TLS (with --kafka-key-file) (env CXSTAR_KAFKA_CERT_FILE)")
	fs.StringVar(&c.KeyFile, "kafka-key-file", os.Getenv("CXSTAR_KAFKA_KEY_FILE"), "PEM private key `file` of --kafka-cert-file (env CXSTAR_KAFKA_KEY_FILE)")
	fs.StringVar(&c.ServerName, "kafka-server-name", os.Getenv("CXSTAR_KAFKA_SERVER_NAME"), "`name` to verify in the brokers' certificates (default: each broker's host) (env CXSTAR_KAFKA_SERVER_NAME)")
	envBoolVar(fs, &c.InsecureSkipVerify, "kafka-insecure-skip-verify", "CXSTAR_KAFKA_INSECURE_SKIP_VERIFY", "TLS without verifying the brokers' certificates (encrypted, but anyone on the path can pose as the broker; logs a warning)")
	fs.StringVar(&c.SASLMechanism, "kafka-sasl-mechanism", os.Getenv("CXSTAR_KAFKA_SASL_MECHANISM"), "SASL `mechanism`: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL) (env CXSTAR_KAFKA_SASL_MECHANISM)")
	fs.StringVar(&c.Username, "kafka-sasl-user", os.Getenv("CXSTAR_KAFKA_SASL_USER"), "SASL `user` (env CXSTAR_KAFKA_SASL_USER)")
	fs.StringVar(&c.PasswordFile, "kafka-sasl-password-file", os.Getenv("CXSTAR_KAFKA_SASL_PASSWORD_FILE"), "`file` holding the SASL password (or set CXSTAR_KAFKA_SASL_PASSWORD) (env CXSTAR_KAFKA_SASL_PASSWORD_FILE)")
	if pw := os.Getenv("CXSTAR_KAFKA_SASL_PASSWORD"); pw != "" {
		secret.Register(pw)
		c.Password = pw
	}
	return c
}

// envBoolVar defines a boolean flag at p, false unless the environment variable env says otherwise.
func envBoolVar(fs *flagSet, p *bool, name, env, usage string) {
	fs.BoolVar(p, name, envValue(fs, name, env, false, strconv.ParseBool, "true or false"), usage+" (env "+env+")")
}

// kafkaClient builds the Dialer and Transport of c and checks them against the brokers once:
// settings the brokers refuse (untrusted certificate, wrong password) stop the command here, with
// what to change; brokers that are merely down are left to the command's own retries. Without
// TLS and SASL it returns nil, nil: kafka-go's defaults.
func kafkaClient(ctx context.Context, c *kafkasec.Config, brokers []string) (*kafka.Dialer, kafka.RoundTripper, error) {
	d, t, err := c.Client()
	if err != nil {
		return nil, nil, err
	}
	if err := kafkasec.Check(ctx, d, brokers); err != nil {
		var se *kafkasec.SettingsError
		if errors.As(err, &se) {
			return nil, nil, err
		}
		slog.Warn("Kafka brokers not reachable yet; going on (the client retries)", "err", err)
	}
	if !c.UsesTLS() && c.SASLMechanism == "" {
		return nil, nil, nil
	}
	slog.Info("Kafka connection", "security", c.String())
	return d, t, nil
}

// Package broker runs an embedded Kafka-protocol broker (franz-go's kfake) with the project's
// topics, so that a laptop, the demo and the tests need no Kafka install. Production points
// CXSTAR_KAFKA_BROKERS at a real Kafka cluster instead.
package broker

import (
	"crypto/tls"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// The topics of docs/events.md (defaults; every command can be pointed elsewhere).
const (
	TopicServiceEvents = "cx.service-events"
	TopicRatings       = "cx.ratings"
	TopicAppeals       = "cx.appeals"
	TopicDeadLetter    = "cx.dead-letter"
)

// Topics lists every topic the broker creates at start.
var Topics = []string{TopicServiceEvents, TopicRatings, TopicAppeals, TopicDeadLetter}

// DefaultPort is the fixed 127.0.0.1 port of `cxstar broker` (CXSTAR_KAFKA_BROKERS' default).
const DefaultPort = 19092

// DefaultPartitions is the number of partitions of each topic: enough for two or three
// consumers to share a topic, few enough for one 2-core machine.
const DefaultPartitions = 6

// Broker is a running embedded broker.
type Broker struct {
	c *kfake.Cluster
}

type config struct {
	port       int
	dataDir    string
	partitions int
	topics     []string
	minSession time.Duration
	tls        *tls.Config
	users      []User
}

// SASL mechanisms the broker and the clients of package kafkasec speak.
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
)

// Mechanisms lists the SASL mechanisms, weakest first.
var Mechanisms = []string{MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512}

// User is a SASL user of the broker.
type User struct {
	Name     string
	Password string
	// Mechanisms the user may authenticate with. Default (nil): all of Mechanisms.
	Mechanisms []string
}

// Option configures Start.
type Option func(*config)

// WithPort sets the 127.0.0.1 port to listen on; 0 picks a free port. Default: 19092.
func WithPort(port int) Option { return func(c *config) { c.port = port } }

// WithDataDir keeps the topics, messages and committed offsets in dir, so that they survive a
// restart. Default: "" (in memory only).
func WithDataDir(dir string) Option { return func(c *config) { c.dataDir = dir } }

// WithPartitions sets the partition count of each created topic. Default: 6.
func WithPartitions(n int) Option { return func(c *config) { c.partitions = n } }

// WithTopics replaces the topics created at start. Default: Topics.
func WithTopics(topics ...string) Option { return func(c *config) { c.topics = topics } }

// WithMinSessionTimeout sets the shortest consumer-group session timeout the broker accepts, so
// that tests can notice a killed consumer quickly. Default: 6 s (Kafka's default).
func WithMinSessionTimeout(d time.Duration) Option { return func(c *config) { c.minSession = d } }

// WithTLS makes the broker speak only TLS with cfg (its certificate; set ClientCAs and
// ClientAuth for mutual TLS). Default: nil (plaintext).
func WithTLS(cfg *tls.Config) Option { return func(c *config) { c.tls = cfg } }

// WithSASL makes the broker require SASL authentication by one of users on every connection.
// Each user may do anything (there are no ACLs). Default: none (no authentication).
func WithSASL(users ...User) Option { return func(c *config) { c.users = append(c.users, users...) } }

// Start starts the broker and returns when it accepts connections.
func Start(opts ...Option) (*Broker, error) {
	cfg := config{port: DefaultPort, partitions: DefaultPartitions, topics: Topics}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.partitions < 1 {
		return nil, fmt.Errorf("broker: partitions must be at least 1, got %d", cfg.partitions)
	}
	kopts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.SeedTopics(int32(cfg.partitions), cfg.topics...),
		kfake.DefaultNumPartitions(cfg.partitions),
		kfake.Ports(cfg.port),
		kfake.ClusterID("cxstar"),
	}
	if cfg.minSession > 0 {
		kopts = append(kopts, kfake.GroupMinSessionTimeout(cfg.minSession))
	}
	if cfg.tls != nil {
		kopts = append(kopts, kfake.TLS(cfg.tls))
	}
	if len(cfg.users) > 0 {
		kopts = append(kopts, kfake.EnableSASL())
		for _, u := range cfg.users {
			if u.Name == "" || u.Password == "" {
				return nil, fmt.Errorf("broker: a SASL user needs a name and a password")
			}
			ms := u.Mechanisms
			if len(ms) == 0 {
				ms = Mechanisms
			}
			for _, m := range ms {
				switch m {
				case MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512:
				default:
					return nil, fmt.Errorf("broker: unknown SASL mechanism %q (want %s, %s or %s)", m, MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512)
				}
				kopts = append(kopts, kfake.Superuser(m, u.Name, u.Password))
			}
		}
	}
	if cfg.dataDir != "" {
		if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("broker: create data dir %s: %w", cfg.dataDir, err)
		}
		kopts = append(kopts, kfake.DataDir(cfg.dataDir))
	}
	c, err := kfake.NewCluster(kopts...)
	if err != nil {
		return nil, fmt.Errorf("broker: start on 127.0.0.1:%d (is another broker already running there? choose another with --port): %w", cfg.port, err)
	}
	return &Broker{c: c}, nil
}

// Addrs returns the host:port addresses clients bootstrap from.
func (b *Broker) Addrs() []string { return b.c.ListenAddrs() }

// Addr returns the first bootstrap address.
func (b *Broker) Addr() string { return b.c.ListenAddrs()[0] }

// Close stops the broker (and writes its state to the data dir, when it has one).
func (b *Broker) Close() { b.c.Close() }

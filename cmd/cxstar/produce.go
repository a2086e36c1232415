package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cxstar/cxstar/ingest"
)

func runProduce(ctx context.Context, args []string) error {
	fs := newFlagSet("produce", "produce [flags] PATH...\n\nPublishes JSON Lines files of events (files or directories, .gz too) to the topics of docs/events.md:\nservice_event.v1 to the service-events topic keyed by request_id, rating.v1 to the ratings topic keyed\nby event_id, appeal.v1 to the appeals topic keyed by appeal_id, with acks=all. Lines are not validated\n(`cxstar ingest` does that and dead-letters bad ones); lines whose schema cannot be read are skipped\nand counted, or published to --unroutable.")
	brokers := envString(fs, "brokers", "CXSTAR_KAFKA_BROKERS", "127.0.0.1:19092", "Kafka bootstrap brokers, comma-separated")
	svc := envString(fs, "topic-service-events", "CXSTAR_TOPIC_SERVICE_EVENTS", ingest.TopicServiceEvents, "topic of service_event.v1")
	rat := envString(fs, "topic-ratings", "CXSTAR_TOPIC_RATINGS", ingest.TopicRatings, "topic of rating.v1")
	app := envString(fs, "topic-appeals", "CXSTAR_TOPIC_APPEALS", ingest.TopicAppeals, "topic of appeal.v1")
	unroutable := envString(fs, "unroutable", "CXSTAR_PRODUCE_UNROUTABLE", "", "topic for lines with no known schema (empty: skip and count them)")
	progress := envDuration(fs, "progress", "CXSTAR_PROGRESS", 2*time.Second, "how often to print progress on stderr (0: never)")
	ksec := kafkaSecurityFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("give at least one file or directory to publish")
	}
	_, transport, err := kafkaClient(ctx, ksec, kafkaBrokerList(*brokers))
	if err != nil {
		return err
	}
	shown := 0
	opts := []ingest.ProducerOption{
		ingest.WithProduceTransport(transport),
		ingest.WithProduceTopics(map[ingest.Kind]string{ingest.KindService: *svc, ingest.KindRating: *rat, ingest.KindAppeal: *app}),
		ingest.WithUnroutableTopic(*unroutable),
		ingest.WithUnroutableFunc(func(file string, line int) {
			what := "skipped"
			if *unroutable != "" {
				what = "sent to " + *unroutable
			}
			if shown < 20 {
				fmt.Fprintf(os.Stderr, "produce: %s:%d: not JSON or no known schema: %s\n", file, line, what)
			}
			shown++
		}),
	}
	start := time.Now()
	if *progress > 0 {
		opts = append(opts, ingest.WithProduceProgress(*progress, func(file string, st ingest.ProduceStats) {
			fmt.Fprintf(os.Stderr, "produce: %s  read %d  published %d  unroutable %d  (%.0f msg/s)\n",
				file, st.Read, st.Published, st.Unroutable, float64(st.Published)/time.Since(start).Seconds())
		}))
	}
	st, err := ingest.NewProducer(kafkaBrokerList(*brokers), opts...).Publish(ctx, fs.Args())
	elapsed := time.Since(start)
	fmt.Printf("files %d  read %d  published %d  unroutable %d  in %s (%.0f msg/s)\n",
		st.Files, st.Read, st.Published, st.Unroutable, elapsed.Round(time.Millisecond), float64(st.Published)/elapsed.Seconds())
	return err
}

// kafkaBrokerList splits a comma-separated flag value, dropping empty items.
func kafkaBrokerList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

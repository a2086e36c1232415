package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/cxstar/cxstar/ingest"
)

// produceUsage is the synopsis and description of `cxstar produce --help`.
const produceUsage = `produce [flags] PATH...

Publishes JSON Lines files of events (files or directories, .gz too) to the topics of docs/events.md:
service_event.v1 to the service-events topic keyed by request_id, rating.v1 to the ratings topic keyed
by event_id, appeal.v1 to the appeals topic keyed by appeal_id, with acks=all. Lines are not validated
(` + "`cxstar ingest`" + ` does that and dead-letters bad ones); lines whose schema cannot be read are skipped
and counted, or published to --unroutable.`

func runProduce(ctx context.Context, args []string) error {
	fs := newFlagSet("produce", produceUsage)
	kf := addKafkaFlags(fs)
	topics := addTopicFlags(fs)
	unroutable := envString(fs, "unroutable", "CXSTAR_PRODUCE_UNROUTABLE", "", "topic for lines with no known schema (empty: skip and count them)")
	progress := progressFlag(fs)
	if err := fs.parsePaths(args, "publish"); err != nil {
		return err
	}
	_, transport, err := kf.client(ctx)
	if err != nil {
		return err
	}
	shown := 0
	opts := []ingest.ProducerOption{
		ingest.WithProduceTransport(transport),
		ingest.WithProduceTopics(topics.byKind()),
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
	st, err := ingest.NewProducer(kf.list(), opts...).Publish(ctx, fs.Args())
	elapsed := time.Since(start)
	fmt.Printf("files %d  read %d  published %d  unroutable %d  in %s (%.0f msg/s)\n",
		st.Files, st.Read, st.Published, st.Unroutable, elapsed.Round(time.Millisecond), float64(st.Published)/elapsed.Seconds())
	return err
}

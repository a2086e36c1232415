package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/cxstar/cxstar/internal/broker"
)

func runBroker(ctx context.Context, args []string) error {
	fs := newFlagSet("broker", "broker [flags]\n\nRuns an embedded Kafka-protocol broker (franz-go kfake) on 127.0.0.1 with the topics of docs/events.md\n("+strings.Join(broker.Topics, ", ")+"), until interrupted. For laptops, the demo and tests;\nin production point CXSTAR_KAFKA_BROKERS at a real Kafka cluster instead.")
	port := envInt(fs, "port", "CXSTAR_BROKER_PORT", broker.DefaultPort, "127.0.0.1 port to listen on")
	dataDir := envString(fs, "data-dir", "CXSTAR_BROKER_DATA_DIR", "", "directory that keeps messages and committed offsets across restarts (empty: in memory only)")
	partitions := envInt(fs, "partitions", "CXSTAR_BROKER_PARTITIONS", broker.DefaultPartitions, "partitions of each topic")
	minSession := envDuration(fs, "min-session-timeout", "CXSTAR_BROKER_MIN_SESSION_TIMEOUT", 6*time.Second, "shortest consumer-group session timeout accepted")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := broker.Start(broker.WithPort(*port), broker.WithDataDir(*dataDir), broker.WithPartitions(*partitions), broker.WithMinSessionTimeout(*minSession))
	if err != nil {
		return err
	}
	where := "in memory"
	if *dataDir != "" {
		where = "persisted in " + *dataDir
	}
	fmt.Printf("broker listening on %s (topics %s, %d partitions each, %s); Ctrl-C stops it\n",
		strings.Join(b.Addrs(), ","), strings.Join(broker.Topics, ", "), *partitions, where)
	<-ctx.Done()
	b.Close()
	fmt.Fprintln(os.Stderr, "broker stopped")
	return nil
}

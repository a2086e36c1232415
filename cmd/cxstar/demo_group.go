package main

import (
	"context"
	"errors"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cxstar/cxstar/ingest"
)

// demoGroup is the consumer group of the demo's ingest consumer.
const demoGroup = "cxstar-demo"

// demoGroupCaughtUp reports whether group has committed every message of the event topics: on every
// partition its committed offset has reached the high watermark.
func demoGroupCaughtUp(ctx context.Context, brokers []string, group string) (bool, error) {
	cl := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 5 * time.Second}
	var topics []string
	for _, t := range ingest.DefaultTopics() {
		topics = append(topics, t)
	}
	md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return false, err
	}
	parts := map[string][]int{}
	last := map[string][]kafka.OffsetRequest{}
	for _, t := range md.Topics {
		if t.Error != nil {
			return false, t.Error
		}
		for _, p := range t.Partitions {
			parts[t.Name] = append(parts[t.Name], p.ID)
			last[t.Name] = append(last[t.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	hw, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: last})
	if err != nil {
		return false, err
	}
	of, err := cl.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: parts})
	if err != nil {
		return false, err
	}
	if errors.Is(of.Error, kafka.GroupIdNotFound) {
		return false, nil // nothing committed yet
	}
	if of.Error != nil {
		return false, of.Error
	}
	committed := map[string]map[int]int64{}
	for t, ps := range of.Topics {
		committed[t] = map[int]int64{}
		for _, p := range ps {
			if p.Error != nil {
				return false, p.Error
			}
			committed[t][p.Partition] = p.CommittedOffset
		}
	}
	for t, ps := range hw.Topics {
		for _, p := range ps {
			if p.Error != nil {
				return false, p.Error
			}
			if c, ok := committed[t][p.Partition]; p.LastOffset > 0 && (!ok || c < p.LastOffset) {
				return false, nil
			}
		}
	}
	return true, nil
}

package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"
)

// Dead-letter headers of the contract.
const (
	HeaderError  = "cx-error"  // the rejection code, e.g. out_of_range
	HeaderReason = "cx-reason" // the human reason, with the field at fault
	HeaderSource = "cx-source" // topic/partition/offset of the original message
)

// CodeWrongTopic rejects a valid event that arrived on another kind's topic (e.g. a rating.v1
// on cx.service-events): the producer routed it wrong and its key may not be the contract's.
const CodeWrongTopic = "wrong_topic"

// deadLetters is where the consumer sends rejected messages. Write returns once every message
// is acknowledged (or ctx ends); the consumer commits offsets only after that.
type deadLetters interface {
	Write(ctx context.Context, msgs []kafka.Message) error
	Close() error
}

// deadLetter is the message sent for m, rejected by r: the original key and value, the original
// headers, and the contract's three headers (deadLetterSize estimates its bytes).
func deadLetter(m *kafka.Message, r *Rejection) kafka.Message {
	reason := r.Reason
	if r.Field != "" {
		reason = r.Field + ": " + reason
	}
	headers := append(m.Headers[:len(m.Headers):len(m.Headers)],
		kafka.Header{Key: HeaderError, Value: []byte(r.Code)},
		kafka.Header{Key: HeaderReason, Value: []byte(reason)},
		kafka.Header{Key: HeaderSource, Value: []byte(MessageSource(m))})
	return kafka.Message{Key: m.Key, Value: m.Value, Headers: headers}
}

// deadLetterSize estimates the bytes the dead letter of a rejected value of n bytes holds (its
// key and headers, read when it is sent, are within the allowance).
func deadLetterSize(n int, r *Rejection) int { return n + len(r.Field) + 2 + len(r.Reason) + 128 }

// deadLetters returns the dead letters of a batch's rejected messages, in their order: each
// message is read again from its partition (owned by index) for its key and headers, which the
// partition readers do not keep. A message the partition no longer holds (retention deleted it
// since it was read) is sent with the value that was validated, without key and headers.
func (c *Consumer) deadLetters(ctx context.Context, dead []rejected, owned []tp) ([]kafka.Message, error) {
	byPart := map[int][]int{} // partition index -> indexes in dead, in offset order
	for i, d := range dead {
		byPart[d.part] = append(byPart[d.part], i)
	}
	out := make([]kafka.Message, len(dead))
	for part, idx := range byPart {
		k := owned[part]
		offsets := make([]int64, len(idx))
		for j, i := range idx {
			offsets[j] = dead[i].offset
		}
		msgs, err := c.refetch(ctx, k, offsets)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			m := msgs[j]
			if m == nil {
				c.cfg.log.Warn("a rejected message was deleted from its partition before its dead letter was sent; sending its value without its key and headers",
					"topic", k.topic, "partition", k.part, "offset", offsets[j])
				m = &kafka.Message{Topic: k.topic, Partition: k.part, Offset: offsets[j], Value: dead[i].value}
			}
			out[i] = deadLetter(m, dead[i].r)
		}
	}
	return out, nil
}

// refetch reads the messages at offsets (ascending) of partition k again, retrying with capped
// exponential backoff until it can or ctx ends. An element is nil when the partition no longer
// holds the message.
func (c *Consumer) refetch(ctx context.Context, k tp, offsets []int64) ([]*kafka.Message, error) {
	r := &partitionReader{fetchConfig: defaultFetch, dialer: c.dialer, brokers: c.brokers, topic: k.topic, partition: k.part, log: c.cfg.log}
	backoff := r.backoffMin
	for {
		msgs, err := r.reread(ctx, offsets)
		if err == nil {
			return msgs, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("read %d rejected messages of %s/%d again for their dead letters: %w (stopped: %v)", len(offsets), k.topic, k.part, err, ctx.Err())
		}
		c.cfg.log.Warn("cannot read rejected messages again for their dead letters; retrying (is the broker up? check --brokers)",
			"topic", k.topic, "partition", k.part, "messages", len(offsets), "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("read %d rejected messages of %s/%d again for their dead letters: %w", len(offsets), k.topic, k.part, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, r.backoffMax)
	}
}

// MessageSource is a message's topic/partition/offset, as the consumer stores it with its row or
// dead letter.
func MessageSource(m *kafka.Message) string {
	var buf [128]byte
	return string(appendSource(buf[:0], m.Topic, m.Partition, m.Offset)) // one allocation
}

// LineSource is file:line, as backfill stores it with the row of a file's line.
func LineSource(file string, line int) string { return string(appendLineSource(nil, file, line)) }

// appendLineSource appends file:line to b.
func appendLineSource(b []byte, file string, line int) []byte {
	return strconv.AppendInt(append(append(b, file...), ':'), int64(line), 10)
}

// appendSource appends topic/partition/offset to b.
func appendSource(b []byte, topic string, partition int, offset int64) []byte {
	b = append(b, topic...)
	b = strconv.AppendInt(append(b, '/'), int64(partition), 10)
	return strconv.AppendInt(append(b, '/'), offset, 10)
}

// kafkaDeadLetters writes dead letters to a topic with acks=all, retrying with capped
// exponential backoff until they are acknowledged or the context ends.
type kafkaDeadLetters struct {
	w     *kafka.Writer
	topic string
	log   *slog.Logger
}

func newKafkaDeadLetters(brokers []string, topic string, transport kafka.RoundTripper, log *slog.Logger) *kafkaDeadLetters {
	return &kafkaDeadLetters{topic: topic, log: log, w: &kafka.Writer{Addr: kafka.TCP(brokers...), Topic: topic,
		RequiredAcks: kafka.RequireAll, Balancer: &kafka.Hash{}, BatchTimeout: 5 * time.Millisecond, BatchSize: 1000, MaxAttempts: 3,
		Transport: transport}}
}

func (d *kafkaDeadLetters) Write(ctx context.Context, msgs []kafka.Message) error {
	backoff := 100 * time.Millisecond
	for {
		err := d.w.WriteMessages(ctx, msgs...)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("write %d messages to dead-letter topic %s: %w (stopped: %v)", len(msgs), d.topic, err, ctx.Err())
		}
		d.log.Warn("dead-letter write failed; retrying (is the broker up and the topic created?)", "topic", d.topic, "messages", len(msgs), "in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("write %d messages to dead-letter topic %s: %w", len(msgs), d.topic, ctx.Err())
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (d *kafkaDeadLetters) Close() error { return d.w.Close() }

package ingest

import (
	"slices"
	"strings"
	"testing"
)

// TestDecodeGroup: the messages of a group are placed as one at a time would place them. A group
// of the service-events topic holding, in order: A, a line that is not JSON, A again, a rating
// (wrong topic) and B; then C; then B twice (the duplicate table remembers across groups):
// 3 of the 8 messages are rows (A, B and C), 3 duplicates, 2 dead letters (invalid_json,
// wrong_topic), and the last offset of the partition is the eighth message's.
func TestDecodeGroup(t *testing.T) {
	lines := sampleLines(6) // 0 and 3: service events se-0, se-3; 1: a rating
	c := NewConsumer(nil, NewValidator(), nil, WithConsumerRegisterer(nil))
	p := newPending(2, 16, DefaultBatchBytes)
	seen := NewSeen(DefaultDedupeWindow)
	msgs := []record{
		{10, lines[0]}, {11, []byte("not json")}, {12, lines[0]}, {13, lines[1]}, {14, lines[3]}, // group 1
		{15, []byte(strings.Replace(string(lines[0]), `"se-0"`, `"se-99"`, 1))}, // group 2: C
		{16, lines[3]}, // group 3: B again
		{17, lines[3]}, // group 3: B a third time
	}
	k := tp{TopicServiceEvents, 0}
	var dec [group]decoded
	for _, g := range [][]record{msgs[:5], msgs[5:6], msgs[6:]} {
		d := dec[:len(g)]
		c.decode(k, g, d, seen, KindService)
		for i := range d {
			c.place(k, 1, 100, &g[i], &d[i], p, seen)
		}
	}
	var codes []string
	for _, r := range p.dead {
		codes = append(codes, r.r.Code)
	}
	if p.messages != 8 || p.rows.Len() != 3 || p.dups != 3 || !slices.Equal(codes, []string{CodeInvalidJSON, CodeWrongTopic}) {
		t.Errorf("messages %d, rows %d, duplicates %d, dead letters %v; want 8, 3, 3, [%s %s]",
			p.messages, p.rows.Len(), p.dups, codes, CodeInvalidJSON, CodeWrongTopic)
	}
	if want := (position{offset: 17, hwm: 100, n: 8, in: true}); p.last[1] != want || p.last[0].in {
		t.Errorf("positions %+v, want partition 1 at %+v and partition 0 untouched", p.last, want)
	}
}

package ingest

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzDecode checks that no input panics the decoder, that it agrees with the encoding/json
// reference on every input, and that every accepted event satisfies the contract's invariants. Seeds: the good events above plus testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{goodService, goodRating, goodAppeal, `{}`, `null`, `{"schema":"rating.v1"}`} {
		f.Add([]byte(s))
	}
	v := testValidator()
	f.Fuzz(func(t *testing.T, data []byte) {
		checkAgainstReference(t, v, data)
		var ev Event
		err := v.Decode(data, &ev)
		if err != nil {
			r, ok := err.(*Rejection)
			if !ok || r.Code == "" || r.Reason == "" {
				t.Fatalf("error is not a complete *Rejection: %#v", err)
			}
			return
		}
		if ev.Kind < KindService || ev.Kind > KindAppeal {
			t.Fatalf("accepted with kind %d", ev.Kind)
		}
		if ev.EventID == "" || utf8.RuneCountInString(ev.EventID) > 128 || !utf8.ValidString(ev.EventID) {
			t.Fatalf("accepted bad event_id %q", ev.EventID)
		}
		if agencyID(ev.AgencyID) != nil {
			t.Fatalf("accepted bad agency_id %q", ev.AgencyID)
		}
		if ev.ClientType != "person" && ev.ClientType != "business" {
			t.Fatalf("accepted client_type %q", ev.ClientType)
		}
		if ev.OccurredAt.Before(minTime) || ev.OccurredAt.After(testNow.Add(MaxFutureSkew)) || ev.OccurredAt.Location() != time.UTC {
			t.Fatalf("accepted occurred_at %v", ev.OccurredAt)
		}
		if strings.ContainsAny(ev.ClientID, " @") {
			t.Fatalf("accepted client_id %q", ev.ClientID)
		}
		switch ev.Kind {
		case KindRating:
			hi, lo := uint8(4), uint8(1)
			if ev.Question == "nps" || ev.Question == "nps_digital" {
				hi, lo = 10, 0
			}
			if ev.Score < lo || ev.Score > hi {
				t.Fatalf("accepted score %d for %s", ev.Score, ev.Question)
			}
		case KindService:
			if ev.RequestID == "" || ev.ServiceID == "" || ev.Status == "" || ev.Channel == "" || ev.ClientID == "" {
				t.Fatalf("accepted incomplete service event %+v", ev)
			}
		case KindAppeal:
			if ev.AppealID == "" || ev.Step == "" || (ev.Step == "received" && ev.MessageType == "") {
				t.Fatalf("accepted incomplete appeal %+v", ev)
			}
		}
	})
}

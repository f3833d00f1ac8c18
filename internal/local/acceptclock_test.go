package local

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// recordingBus stands in for kumo: like kumo, it lists an event as
// delivered during the PutEvents call, and it notes what the clock said
// about each entry at that moment. It refuses the entries whose event id is
// in refuse, or the whole call when failCall is set.
type recordingBus struct {
	clock    *acceptClock
	refuse   map[string]bool
	failCall bool
	// timedDuringCall is whether each entry had its time while the call
	// ran, which is when a GET /dev/events could list it.
	timedDuringCall map[string]bool
}

func (b *recordingBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	out := &eventbridge.PutEventsOutput{}
	for _, e := range in.Entries {
		detail := aws.ToString(e.Detail)
		b.timedDuringCall[eventID(detail)] = b.clock.acceptedAt(detail) != nil
		if b.refuse[eventID(detail)] {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException")})
			continue
		}
		out.Entries = append(out.Entries, ebtypes.PutEventsResultEntry{EventId: aws.String("kumo-" + eventID(detail))})
	}
	if b.failCall {
		return nil, errors.New("connection reset")
	}
	return out, nil
}

func entries(ids ...string) *eventbridge.PutEventsInput {
	in := &eventbridge.PutEventsInput{}
	for _, id := range ids {
		in.Entries = append(in.Entries, ebtypes.PutEventsRequestEntry{Detail: aws.String(fmt.Sprintf(`{"eventId":%q}`, id))})
	}
	return in
}

// An event the bus lists as delivered always has its time: make load
// measures every event's lag by it, and TestSmoke failed when a drain
// listed an event during the call that put it. An entry the bus refused
// has no time, unless an earlier put of the same event was accepted.
func TestAcceptClockTimesEveryEventTheBusLists(t *testing.T) {
	clock := &acceptClock{at: map[string]*acceptStamp{}}
	bus := &recordingBus{clock: clock, refuse: map[string]bool{"refused": true}, timedDuringCall: map[string]bool{}}
	clock.Client = bus
	ctx := context.Background()

	if _, err := clock.PutEvents(ctx, entries("first", "refused", "second")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"first", "refused", "second"} {
		if !bus.timedDuringCall[id] {
			t.Errorf("event %s had no time while the call that put it ran", id)
		}
	}
	if clock.acceptedAt(`{"eventId":"first"}`) == nil || clock.acceptedAt(`{"eventId":"second"}`) == nil {
		t.Error("an accepted event lost its time after the call")
	}
	if clock.acceptedAt(`{"eventId":"refused"}`) != nil {
		t.Error("a refused event kept a time")
	}

	// A retry of an accepted event that fails as a whole keeps the first
	// acceptance's time; an event only that call put has none.
	first := *clock.acceptedAt(`{"eventId":"first"}`)
	bus.failCall, bus.refuse = true, nil
	if _, err := clock.PutEvents(ctx, entries("first", "lost")); err == nil {
		t.Fatal("the failed call returned no error")
	}
	if at := clock.acceptedAt(`{"eventId":"first"}`); at == nil || !at.Equal(first) {
		t.Errorf("the accepted event's time after a failed retry = %v, want %v", at, first)
	}
	if clock.acceptedAt(`{"eventId":"lost"}`) != nil {
		t.Error("an event of a call that failed as a whole kept a time")
	}
}

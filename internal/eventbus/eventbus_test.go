package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/changejson"
	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/eventbus"
)

// fakeBus records every PutEvents call and answers it with respond, or
// accepts every entry when respond is nil.
type fakeBus struct {
	calls   []*eventbridge.PutEventsInput
	respond func(call int, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error)
}

func (f *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.calls = append(f.calls, in)
	if f.respond != nil {
		return f.respond(len(f.calls)-1, in)
	}
	return acceptAll(in), nil
}

func acceptAll(in *eventbridge.PutEventsInput) *eventbridge.PutEventsOutput {
	out := &eventbridge.PutEventsOutput{}
	for i := range in.Entries {
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprint("id-", i))})
	}
	return out
}

// callSizes is the number of entries of each call.
func (f *fakeBus) callSizes() []int {
	var n []int
	for _, in := range f.calls {
		n = append(n, len(in.Entries))
	}
	return n
}

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// testEvents returns n distinct events, the i-th with id "evt-<i>".
func testEvents(n int) []delivery.Event {
	first := "Zoë"
	events := make([]delivery.Event, n)
	for i := range events {
		at := t0.Add(time.Duration(i) * time.Second)
		events[i] = delivery.Event{
			DetailType: delivery.DetailUserAdded,
			Time:       at,
			Detail: delivery.Detail{
				EventID:    fmt.Sprint("evt-", i),
				OccurredAt: at,
				BusinessID: "biz-1",
				Actor:      delivery.DetailActor{Email: "owner@example.com"},
				User:       delivery.DetailUser{Email: fmt.Sprintf("user%d@example.com", i), FirstName: &first},
				Changes: changejson.Changes{
					Permissions: &changejson.PermissionsChange{From: []string{}, To: []string{"users"}},
				},
			},
		}
	}
	return events
}

// outcome is how a per-event error reads: "ok", "retry" or "permanent".
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, delivery.ErrPermanent):
		return "permanent"
	default:
		return "retry"
	}
}

func outcomes(errs []error) []string {
	out := make([]string, len(errs))
	for i, err := range errs {
		out[i] = outcome(err)
	}
	return out
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func TestPublishEntries(t *testing.T) {
	tests := []struct {
		name    string
		busName string
		wantBus *string
	}{
		{"default bus", "", nil},
		{"named bus", "businessapp-users", aws.String("businessapp-users")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := testEvents(2)
			events[1].DetailType = delivery.DetailUserRemoved
			events[1].Time = time.Time{}
			fake := &fakeBus{}
			errs, err := eventbus.New(fake, tt.busName).Publish(context.Background(), events)
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if diff := cmp.Diff([]string{"ok", "ok"}, outcomes(errs)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			if len(fake.calls) != 1 {
				t.Fatalf("%d PutEvents calls, want 1", len(fake.calls))
			}
			type entry struct {
				Bus, Source, DetailType, Detail *string
				Time                            *time.Time
			}
			var want, got []entry
			for i, ev := range events {
				detail, _ := json.Marshal(ev.Detail)
				e := entry{Bus: tt.wantBus, Source: aws.String("businessapp.users"),
					DetailType: aws.String(string(ev.DetailType)), Detail: aws.String(string(detail))}
				// The event without a time is left for EventBridge to stamp.
				if i == 0 {
					e.Time = aws.Time(ev.Time)
				}
				want = append(want, e)
			}
			for _, e := range fake.calls[0].Entries {
				got = append(got, entry{e.EventBusName, e.Source, e.DetailType, e.Detail, e.Time})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublishNothing(t *testing.T) {
	fake := &fakeBus{}
	errs, err := eventbus.New(fake, "").Publish(context.Background(), nil)
	if err != nil || len(errs) != 0 || len(fake.calls) != 0 {
		t.Errorf("Publish(nil) = %v, %v after %d calls, want no errors and no call", errs, err, len(fake.calls))
	}
}

func TestPublishPartialFailure(t *testing.T) {
	fake := &fakeBus{respond: func(int, *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
		return &eventbridge.PutEventsOutput{
			FailedEntryCount: 2,
			Entries: []types.PutEventsResultEntry{
				{EventId: aws.String("id-0")},
				{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("Rate exceeded")},
				{ErrorCode: aws.String("MalformedDetail"), ErrorMessage: aws.String("Detail is malformed")},
				{EventId: aws.String("id-3")},
			},
		}, nil
	}}
	errs, err := eventbus.New(fake, "").Publish(context.Background(), testEvents(4))
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if diff := cmp.Diff([]string{"ok", "retry", "permanent", "ok"}, outcomes(errs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	for i, code := range map[int]string{1: "ThrottlingException", 2: "MalformedDetail"} {
		if !strings.Contains(errs[i].Error(), code) || !strings.Contains(errs[i].Error(), fmt.Sprint("evt-", i)) {
			t.Errorf("event %d: error %q does not name its code and event", i, errs[i])
		}
	}
}

func TestPublishEntryErrorCodes(t *testing.T) {
	tests := []struct {
		code string
		want string
	}{
		{"MalformedDetail", "permanent"},
		{"InvalidArgument", "permanent"},
		{"ValidationException", "permanent"},
		{"ThrottlingException", "retry"},
		{"InternalFailure", "retry"},
		// Deployment problems are retried so that they reach the
		// on-failure destination instead of being dropped.
		{"AccessDeniedException", "retry"},
		{"NotAuthorizedForSourceException", "retry"},
		{"NotAuthorizedForDetailTypeException", "retry"},
		{"InvalidAccountIdException", "retry"},
		{"RedactionFailure", "retry"},
		{"SomethingNew", "retry"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			fake := &fakeBus{respond: func(int, *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
				return &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []types.PutEventsResultEntry{
					{ErrorCode: aws.String(tt.code)},
				}}, nil
			}}
			errs, err := eventbus.New(fake, "").Publish(context.Background(), testEvents(1))
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if got := outcome(errs[0]); got != tt.want {
				t.Errorf("entry error %s: outcome %s (%v), want %s", tt.code, got, errs[0], tt.want)
			}
		})
	}
}

func TestPublishUnmatchedResults(t *testing.T) {
	tests := []struct {
		name string
		out  *eventbridge.PutEventsOutput
	}{
		{"fewer results than entries", &eventbridge.PutEventsOutput{
			FailedEntryCount: 1,
			Entries:          []types.PutEventsResultEntry{{ErrorCode: aws.String("MalformedDetail")}},
		}},
		{"failures counted but not reported", &eventbridge.PutEventsOutput{
			FailedEntryCount: 2,
			Entries:          []types.PutEventsResultEntry{{}, {}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeBus{respond: func(int, *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
				return tt.out, nil
			}}
			errs, err := eventbus.New(fake, "").Publish(context.Background(), testEvents(2))
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if diff := cmp.Diff([]string{"retry", "retry"}, outcomes(errs)); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublishChunkFailure(t *testing.T) {
	throttled := errors.New("api error ThrottlingException: Rate exceeded")
	fake := &fakeBus{respond: func(call int, in *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
		if call == 1 {
			return nil, throttled
		}
		return acceptAll(in), nil
	}}
	errs, err := eventbus.New(fake, "bus").Publish(context.Background(), testEvents(25))
	if err != nil {
		t.Fatalf("Publish: %v, want per-event errors only", err)
	}
	if diff := cmp.Diff([]int{10, 10, 5}, fake.callSizes()); diff != "" {
		t.Errorf("entries per call (-want +got):\n%s", diff)
	}
	want := append(append(repeat("ok", 10), repeat("retry", 10)...), repeat("ok", 5)...)
	if diff := cmp.Diff(want, outcomes(errs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	for i := 10; i < 20; i++ {
		if !errors.Is(errs[i], throttled) {
			t.Errorf("event %d: error %v does not wrap the call's error", i, errs[i])
		}
	}
	// The second call carried the second ten events, in order.
	if got := aws.ToString(fake.calls[1].Entries[0].Detail); !strings.Contains(got, `"eventId":"evt-10"`) {
		t.Errorf("second call starts with %s, want evt-10", got)
	}
}

func TestPublishEveryCallFails(t *testing.T) {
	down := errors.New("connection refused")
	fake := &fakeBus{respond: func(int, *eventbridge.PutEventsInput) (*eventbridge.PutEventsOutput, error) {
		return nil, down
	}}
	errs, err := eventbus.New(fake, "").Publish(context.Background(), testEvents(12))
	if !errors.Is(err, down) || errors.Is(err, delivery.ErrPermanent) {
		t.Errorf("Publish error = %v, want the retryable call error", err)
	}
	if diff := cmp.Diff(repeat("retry", 12), outcomes(errs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestPublishRefusesOversizedEntry(t *testing.T) {
	events := testEvents(3)
	huge := strings.Repeat("x", 256*1024)
	events[1].Detail.User.LastName = &huge
	fake := &fakeBus{}
	errs, err := eventbus.New(fake, "").Publish(context.Background(), events)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if diff := cmp.Diff([]string{"ok", "permanent", "ok"}, outcomes(errs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2}, fake.callSizes()); diff != "" {
		t.Errorf("entries per call (-want +got):\n%s", diff)
	}
}

func TestPublishSplitsBySize(t *testing.T) {
	// Ten entries of about 40 KB each are within the per-entry limit but not,
	// together, within the per-call one.
	events := testEvents(10)
	big := strings.Repeat("x", 40_000)
	for i := range events {
		events[i].Detail.User.LastName = &big
	}
	fake := &fakeBus{}
	errs, err := eventbus.New(fake, "").Publish(context.Background(), events)
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if diff := cmp.Diff(repeat("ok", 10), outcomes(errs)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{6, 4}, fake.callSizes()); diff != "" {
		t.Errorf("entries per call (-want +got):\n%s", diff)
	}
}

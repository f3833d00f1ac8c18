package main

import (
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/google/go-cmp/cmp"
)

type recordingPutter struct{ got []types.PutEventsRequestEntry }

func (p *recordingPutter) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	p.got = append(p.got, in.Entries...)
	return &eventbridge.PutEventsOutput{Entries: []types.PutEventsResultEntry{{EventId: aws.String("e-1")}}}, nil
}

// TestRun checks the events the command puts: what the platform would put
// (docs/events/platform), on the bus and source given.
func TestRun(t *testing.T) {
	now := func() time.Time { return time.UnixMilli(1_764_400_000_123) }
	tests := []struct {
		name       string
		args       []string
		detailType string
		detail     map[string]any
	}{
		{"upsert", []string{"-business", "acme", "-name", "Acme", "-tabs", "crm, users", "-owner", "ann@acme.example", "-first", "Ann", "-revision", "3"},
			"BusinessUpserted", map[string]any{"businessId": "acme", "name": "Acme", "enabledTabs": []any{"crm", "users"},
				"owner": map[string]any{"email": "ann@acme.example", "firstName": "Ann"}, "revision": float64(3)}},
		{"revision from the clock", []string{"-business", "acme", "-owner", "ann@acme.example", "-tabs", "users"},
			"BusinessUpserted", map[string]any{"businessId": "acme", "name": "", "enabledTabs": []any{"users"},
				"owner": map[string]any{"email": "ann@acme.example"}, "revision": float64(1_764_400_000_123)}},
		{"delete", []string{"-business", "acme", "-delete", "-revision", "9", "-bus", "platform", "-source", "x.platform"},
			"BusinessDeleted", map[string]any{"businessId": "acme", "revision": float64(9)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &recordingPutter{}
			if err := run(context.Background(), tt.args, p, io.Discard, now); err != nil {
				t.Fatal(err)
			}
			if len(p.got) != 1 {
				t.Fatalf("put %d events, want 1", len(p.got))
			}
			e := p.got[0]
			if aws.ToString(e.DetailType) != tt.detailType {
				t.Errorf("detail-type %s, want %s", aws.ToString(e.DetailType), tt.detailType)
			}
			var detail map[string]any
			if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &detail); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.detail, detail); diff != "" {
				t.Errorf("detail (-want +got):\n%s", diff)
			}
		})
	}
	if err := run(context.Background(), []string{"-business", "acme"}, &recordingPutter{}, io.Discard, now); err == nil {
		t.Error("an upsert without -owner was put")
	}
}

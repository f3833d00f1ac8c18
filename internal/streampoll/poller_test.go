package streampoll

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/google/go-cmp/cmp"
)

const fakeStreamARN = "arn:aws:dynamodb:ddblocal:000000000000:table/fake/stream/2026-01-01T00:00:00.000"

// failItems is a partial batch response reporting the given records.
func failItems(sequenceNumbers ...int) events.DynamoDBEventResponse {
	var response events.DynamoDBEventResponse
	for _, n := range sequenceNumbers {
		response.BatchItemFailures = append(response.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: sequenceNumber(n)})
	}
	return response
}

// fakeRun is a poller over fake streams with fast timings, whose handler
// records every delivery and answers with respond (call counts from 0).
type fakeRun struct {
	streams  *fakeStreams
	recorder *recorder
	// finished receives the id of each shard read to its end.
	finished chan string

	mu       sync.Mutex
	failures []failure
}

// failure is one call of OnFailure.
type failure struct {
	Sequences []int
	Reason    string
}

func newFakeRun(t *testing.T, streams *fakeStreams, cfg Config, respond func(call int, batch []int) (events.DynamoDBEventResponse, error)) (*fakeRun, *Poller) {
	t.Helper()
	run := &fakeRun{streams: streams, recorder: newRecorder(), finished: make(chan string, 100)}
	cfg.TableName = "fake"
	cfg.PollInterval = time.Millisecond
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = time.Millisecond
	}
	cfg.Log = testLogger(t)
	cfg.OnFailure = func(records []events.DynamoDBEventRecord, reason error) {
		run.mu.Lock()
		defer run.mu.Unlock()
		run.failures = append(run.failures, failure{Sequences: sequences(records), Reason: reason.Error()})
	}
	handler := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		call := run.recorder.add(ev.Records)
		if respond == nil {
			return events.DynamoDBEventResponse{}, nil
		}
		return respond(call, sequences(ev.Records))
	}
	poller := New(fakeTable{streamARN: streams.streamARN}, streams, cfg, handler)
	poller.discoveryInterval = 5 * time.Millisecond
	poller.shardFinished = func(id string) { run.finished <- id }
	return run, poller
}

// waitFinished waits until the given shards have been read to their end.
func (r *fakeRun) waitFinished(t *testing.T, shardIDs ...string) {
	t.Helper()
	pending := map[string]bool{}
	for _, id := range shardIDs {
		pending[id] = true
	}
	deadline := time.After(5 * time.Second)
	for len(pending) > 0 {
		select {
		case id := <-r.finished:
			delete(pending, id)
		case <-deadline:
			t.Fatalf("shards %v were not read to their end within 5s; deliveries: %v", pending, sequenceLists(r.recorder.snapshot()))
		}
	}
}

func (r *fakeRun) onFailureCalls() []failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]failure(nil), r.failures...)
}

func TestDeliveryRetriesLikeTheEventSourceMapping(t *testing.T) {
	errHandler := errors.New("downstream unavailable")
	tests := []struct {
		name    string
		cfg     Config
		respond func(call int, batch []int) (events.DynamoDBEventResponse, error)
		// want lists the deliveries as sequence numbers.
		want [][]int
		// wantFailures lists the OnFailure calls; Reason is matched as a
		// substring.
		wantFailures []failure
	}{
		{
			name: "a successful batch is delivered once",
			want: [][]int{{1, 2, 3, 4, 5}},
		},
		{
			name: "a reported failure retries that record and the later ones",
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if call == 0 {
					return failItems(3), nil
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: [][]int{{1, 2, 3, 4, 5}, {3, 4, 5}},
		},
		{
			name: "several reported failures retry from the earliest",
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if call == 0 {
					return failItems(4, 2), nil
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: [][]int{{1, 2, 3, 4, 5}, {2, 3, 4, 5}},
		},
		{
			name: "an identifier not in the batch retries the whole batch",
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if call == 0 {
					return failItems(3, 99), nil
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: [][]int{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}},
		},
		{
			name: "an empty identifier retries the whole batch",
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if call == 0 {
					return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{{ItemIdentifier: ""}}}, nil
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: [][]int{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}},
		},
		{
			name: "an error fails the whole batch even with item failures",
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if call == 0 {
					return failItems(5), errHandler
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: [][]int{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}},
		},
		{
			name: "a panic fails the whole batch",
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if call == 0 {
					panic("handler bug")
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: [][]int{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}},
		},
		{
			name: "a handler that always fails is given up on after MaxRetryAttempts",
			cfg:  Config{MaxRetryAttempts: 2},
			respond: func(int, []int) (events.DynamoDBEventResponse, error) {
				return events.DynamoDBEventResponse{}, errHandler
			},
			want:         [][]int{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}},
			wantFailures: []failure{{Sequences: []int{1, 2, 3, 4, 5}, Reason: "downstream unavailable"}},
		},
		{
			name: "records that keep failing go to OnFailure, the ones before them do not",
			cfg:  Config{MaxRetryAttempts: 2},
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				return failItems(4), nil
			},
			want:         [][]int{{1, 2, 3, 4, 5}, {4, 5}, {4, 5}},
			wantFailures: []failure{{Sequences: []int{4, 5}, Reason: "earliest being sequence number 000000000000000000004"}},
		},
		{
			name: "a failure can move forward between retries",
			cfg:  Config{MaxRetryAttempts: 3},
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				switch call {
				case 0:
					return failItems(2), nil
				case 1:
					return failItems(4), nil
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: [][]int{{1, 2, 3, 4, 5}, {2, 3, 4, 5}, {4, 5}},
		},
		{
			name: "a negative MaxRetryAttempts retries until the handler succeeds",
			cfg:  Config{MaxRetryAttempts: -1},
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if call < 7 {
					return events.DynamoDBEventResponse{}, errHandler
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want: slices.Repeat([][]int{{1, 2, 3, 4, 5}}, 8),
		},
		{
			name: "batches hold at most BatchSize records, in order",
			cfg:  Config{BatchSize: 2},
			want: [][]int{{1, 2}, {3, 4}, {5}},
		},
		{
			name: "a batch given up on does not hold back the next",
			cfg:  Config{BatchSize: 2, MaxRetryAttempts: 1},
			respond: func(call int, batch []int) (events.DynamoDBEventResponse, error) {
				if slices.Contains(batch, 4) {
					return failItems(4), nil
				}
				return events.DynamoDBEventResponse{}, nil
			},
			want:         [][]int{{1, 2}, {3, 4}, {4}, {5}},
			wantFailures: []failure{{Sequences: []int{4}, Reason: "earliest being sequence number 000000000000000000004"}},
		},
		{
			name: "the filter drops records before they are batched",
			cfg: Config{BatchSize: 2, Filter: func(r events.DynamoDBEventRecord) bool {
				return !slices.Contains([]int{2, 3}, sequences([]events.DynamoDBEventRecord{r})[0])
			}},
			want: [][]int{{1, 4}, {5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams := &fakeStreams{streamARN: fakeStreamARN}
			streams.addShard("shard-1", "", true, 1, 2, 3, 4, 5)
			run, poller := newFakeRun(t, streams, tt.cfg, tt.respond)
			stop := runPoller(t, poller)
			run.waitFinished(t, "shard-1")
			if _, err := stop(); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if diff := cmp.Diff(tt.want, sequenceLists(run.recorder.snapshot())); diff != "" {
				t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
			}
			gotFailures := run.onFailureCalls()
			matchReason := cmp.Comparer(func(want, got failure) bool {
				return slices.Equal(want.Sequences, got.Sequences) &&
					(strings.Contains(got.Reason, want.Reason) || strings.Contains(want.Reason, got.Reason))
			})
			if diff := cmp.Diff(tt.wantFailures, gotFailures, matchReason); diff != "" {
				t.Errorf("OnFailure calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryDelayDoublesUpToTheCap(t *testing.T) {
	tests := []struct {
		retries int
		want    time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{5, 3200 * time.Millisecond},
		{6, maxRetryBackoff},
		{1000, maxRetryBackoff},
	}
	for _, tt := range tests {
		if got := retryDelay(100*time.Millisecond, tt.retries); got != tt.want {
			t.Errorf("retryDelay(100ms, %d) = %s, want %s", tt.retries, got, tt.want)
		}
	}
}

func TestSequenceAfterComparesNumerically(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"000000000000000000002", "000000000000000000001", true},
		{"000000000000000000001", "000000000000000000002", false},
		{"000000000000000000002", "000000000000000000002", false},
		{"100000000000000000000000001", "99999999999999999999999999", true},
		{"1", "", true},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := sequenceAfter(tt.a, tt.b); got != tt.want {
			t.Errorf("sequenceAfter(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestShardsAreReadParentFirstAndNewShardsArePickedUp(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN, describePage: 1, recordsPage: 2}
	// The child is listed before its parent and on another DescribeStream
	// page, so the reader must follow LastEvaluatedShardId and still wait.
	streams.addShard("child", "parent", false, 14, 15)
	streams.addShard("parent", "", true, 11, 12, 13)
	run, poller := newFakeRun(t, streams, Config{BatchSize: 10}, nil)
	runPoller(t, poller)

	run.waitFinished(t, "parent")
	run.recorder.waitUntil(t, 5*time.Second, "the child's records", func(d [][]events.DynamoDBEventRecord) bool {
		return slices.Contains(slices.Concat(sequenceLists(d)...), 15)
	})
	// The child closes and a grandchild appears, as at a shard rollover.
	streams.appendRecords("child", true, 16)
	streams.addShard("grandchild", "child", false, 17)
	run.recorder.waitUntil(t, 5*time.Second, "the grandchild's record", func(d [][]events.DynamoDBEventRecord) bool {
		return slices.Contains(slices.Concat(sequenceLists(d)...), 17)
	})
	run.waitFinished(t, "child")

	got := slices.Concat(sequenceLists(run.recorder.snapshot())...)
	if diff := cmp.Diff([]int{11, 12, 13, 14, 15, 16, 17}, got); diff != "" {
		t.Errorf("records delivered (-want +got):\n%s", diff)
	}
}

func TestExpiredIteratorResumesAfterTheLastRecordHandled(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN, recordsPage: 2}
	streams.addShard("shard-1", "", true, 1, 2, 3, 4, 5)
	// The second and third reads find the iterator expired, as when
	// retries outlast its 15 minutes.
	streams.beforeGetRecords = func(f *fakeStreams, call int) error {
		if call == 2 || call == 3 {
			return &types.ExpiredIteratorException{}
		}
		return nil
	}
	run, poller := newFakeRun(t, streams, Config{}, nil)
	runPoller(t, poller)
	run.waitFinished(t, "shard-1")

	if diff := cmp.Diff([][]int{{1, 2}, {3, 4}, {5}}, sequenceLists(run.recorder.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}
	wantRequests := []string{
		"shard-1 TRIM_HORIZON",
		"shard-1 AFTER_SEQUENCE_NUMBER " + sequenceNumber(2),
		"shard-1 AFTER_SEQUENCE_NUMBER " + sequenceNumber(2),
	}
	if diff := cmp.Diff(wantRequests, streams.requests()); diff != "" {
		t.Errorf("GetShardIterator calls mismatch (-want +got):\n%s", diff)
	}
}

func TestTrimmedRecordsAreSkippedAndTheRestDelivered(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN, recordsPage: 2}
	streams.addShard("shard-1", "", true, 1, 2, 3, 4, 5, 6)
	// After the first page the stream trims records 1-4, so the iterator
	// for 3 points at data that is gone; only 5 and 6 remain to be read.
	streams.beforeGetRecords = func(f *fakeStreams, call int) error {
		if call == 2 {
			f.shard("shard-1").trimmedBefore = 4
		}
		return nil
	}
	run, poller := newFakeRun(t, streams, Config{}, nil)
	runPoller(t, poller)
	run.waitFinished(t, "shard-1")

	if diff := cmp.Diff([][]int{{1, 2}, {5, 6}}, sequenceLists(run.recorder.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shard-1 TRIM_HORIZON", "shard-1 TRIM_HORIZON"}, streams.requests()); diff != "" {
		t.Errorf("GetShardIterator calls mismatch (-want +got):\n%s", diff)
	}
}

func TestTrimHorizonRestartDoesNotRedeliverHandledRecords(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN, recordsPage: 2}
	streams.addShard("shard-1", "", true, 1, 2, 3, 4, 5)
	// A spurious TrimmedDataAccessException: nothing is actually gone, so
	// the restart at TRIM_HORIZON sees records 1 and 2 again.
	streams.beforeGetRecords = func(f *fakeStreams, call int) error {
		if call == 2 {
			return &types.TrimmedDataAccessException{}
		}
		return nil
	}
	run, poller := newFakeRun(t, streams, Config{}, nil)
	runPoller(t, poller)
	run.waitFinished(t, "shard-1")

	if diff := cmp.Diff([][]int{{1, 2}, {3, 4}, {5}}, sequenceLists(run.recorder.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}
}

func TestTrimmedAfterExpiryRestartsAtTheOldestRecordLeft(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN, recordsPage: 2}
	streams.addShard("shard-1", "", true, 1, 2, 3, 4, 5)
	// The iterator expires, and by the time the reader asks for a new one
	// after record 2, records 1-3 have been trimmed.
	streams.beforeGetRecords = func(f *fakeStreams, call int) error {
		if call == 2 {
			f.shard("shard-1").trimmedBefore = 3
			return &types.ExpiredIteratorException{}
		}
		return nil
	}
	run, poller := newFakeRun(t, streams, Config{}, nil)
	runPoller(t, poller)
	run.waitFinished(t, "shard-1")

	if diff := cmp.Diff([][]int{{1, 2}, {4, 5}}, sequenceLists(run.recorder.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}
	wantRequests := []string{
		"shard-1 TRIM_HORIZON",
		"shard-1 AFTER_SEQUENCE_NUMBER " + sequenceNumber(2),
		"shard-1 TRIM_HORIZON",
	}
	if diff := cmp.Diff(wantRequests, streams.requests()); diff != "" {
		t.Errorf("GetShardIterator calls mismatch (-want +got):\n%s", diff)
	}
}

func TestAShardThatNoLongerExistsLetsItsChildrenBeRead(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN}
	streams.addShard("parent", "", true, 1, 2)
	streams.addShard("child", "parent", true, 3, 4)
	// The parent expired out of the stream between DescribeStream and
	// GetShardIterator.
	streams.beforeGetShardIterator = func(f *fakeStreams, call int, shardID string) error {
		if shardID == "parent" {
			return &types.ResourceNotFoundException{Message: aws.String("Requested resource not found: Shard does not exist")}
		}
		return nil
	}
	run, poller := newFakeRun(t, streams, Config{}, nil)
	runPoller(t, poller)
	run.waitFinished(t, "child")

	if diff := cmp.Diff([][]int{{3, 4}}, sequenceLists(run.recorder.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}
}

func TestTransientStreamErrorsAreRetriedWithoutLoss(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN, recordsPage: 2}
	streams.addShard("shard-1", "", true, 1, 2, 3, 4, 5)
	streams.beforeGetRecords = func(f *fakeStreams, call int) error {
		if call == 2 || call == 3 {
			return errors.New("connection reset by peer")
		}
		return nil
	}
	streams.beforeGetShardIterator = func(f *fakeStreams, call int, shardID string) error {
		if call == 1 {
			return &types.InternalServerError{Message: aws.String("try again")}
		}
		return nil
	}
	run, poller := newFakeRun(t, streams, Config{}, nil)
	runPoller(t, poller)
	run.waitFinished(t, "shard-1")

	if diff := cmp.Diff([][]int{{1, 2}, {3, 4}, {5}}, sequenceLists(run.recorder.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"shard-1 TRIM_HORIZON", "shard-1 TRIM_HORIZON"}, streams.requests()); diff != "" {
		t.Errorf("the reader should have retried the failed GetShardIterator, then kept its iterator through failed reads; GetShardIterator calls (-want +got):\n%s", diff)
	}
}

func TestRunFailsWithoutAStream(t *testing.T) {
	tests := []struct {
		name    string
		table   fakeTable
		cfg     Config
		handler Handler
		want    string
	}{
		{"no table name", fakeTable{streamARN: fakeStreamARN}, Config{}, okHandler, "TableName is empty"},
		{"no handler", fakeTable{streamARN: fakeStreamARN}, Config{TableName: "users"}, nil, "handler is nil"},
		{"table cannot be described", fakeTable{err: errors.New("no such table")}, Config{TableName: "users"}, okHandler, "describe table users: no such table"},
		{"table has no stream", fakeTable{}, Config{TableName: "users"}, okHandler, "table users has no stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Log = testLogger(t)
			err := New(tt.table, &fakeStreams{streamARN: fakeStreamARN}, tt.cfg, tt.handler).Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func okHandler(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return events.DynamoDBEventResponse{}, nil
}

func TestCancelStopsRunDuringRetries(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN}
	streams.addShard("shard-1", "", false, 1)
	run, poller := newFakeRun(t, streams, Config{MaxRetryAttempts: -1, RetryBackoff: time.Hour}, func(int, []int) (events.DynamoDBEventResponse, error) {
		return events.DynamoDBEventResponse{}, errors.New("always failing")
	})
	stop := runPoller(t, poller)
	run.recorder.waitUntil(t, 5*time.Second, "the first delivery", func(d [][]events.DynamoDBEventRecord) bool { return len(d) > 0 })
	elapsed, err := stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if elapsed > time.Second {
		t.Errorf("Run took %s to return after cancellation while waiting to retry, want well under a second", elapsed)
	}
	if got := run.onFailureCalls(); len(got) != 0 {
		t.Errorf("OnFailure called on shutdown with %v; stopping is not giving up", got)
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	p := New(fakeTable{}, &fakeStreams{}, Config{TableName: "users"}, okHandler)
	got := []any{p.cfg.BatchSize, p.cfg.PollInterval, p.cfg.MaxRetryAttempts, p.cfg.RetryBackoff}
	want := []any{10, 100 * time.Millisecond, 5, 100 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

// With a ParallelizationFactor, batches of different partition keys are
// handled at once, and each key's records still arrive in stream order,
// none twice and none lost, as the mapping promises.
func TestLanesKeepEachPartitionKeysOrder(t *testing.T) {
	streams := &fakeStreams{streamARN: fakeStreamARN}
	shard := streams.addShard("s1", "", true)
	keyOf := map[int]string{}
	for n := 1; n <= 60; n++ {
		r := fakeRecord(n)
		keyOf[n] = fmt.Sprint("BUSINESS#", n%7)
		key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: keyOf[n]}, "SK": &types.AttributeValueMemberS{Value: fmt.Sprint(n)}}
		r.Dynamodb.Keys, r.Dynamodb.NewImage = key, key
		shard.records = append(shard.records, r)
	}
	var inFlight, most atomic.Int32
	run, poller := newFakeRun(t, streams, Config{BatchSize: 3, ParallelizationFactor: 4}, func(int, []int) (events.DynamoDBEventResponse, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond)
		return events.DynamoDBEventResponse{}, nil
	})
	runPoller(t, poller)
	run.waitFinished(t, "s1")

	perKey := map[string][]int{}
	for _, batch := range run.recorder.snapshot() {
		if len(batch) > 3 {
			t.Errorf("a batch of %d records, more than BatchSize", len(batch))
		}
		for _, n := range sequences(batch) {
			perKey[keyOf[n]] = append(perKey[keyOf[n]], n)
		}
	}
	for k := range 7 {
		key := fmt.Sprint("BUSINESS#", k)
		var want []int
		for n := 1; n <= 60; n++ {
			if keyOf[n] == key {
				want = append(want, n)
			}
		}
		if diff := cmp.Diff(want, perKey[key]); diff != "" {
			t.Errorf("records of %s, in the order handled (-want +got):\n%s", key, diff)
		}
	}
	if m := most.Load(); m < 2 || m > 4 {
		t.Errorf("at most %d batches were handled at once, want 2 to 4 (the ParallelizationFactor)", m)
	}
}

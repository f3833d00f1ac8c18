package streampoll

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/google/go-cmp/cmp"
)

// keyedRecord is fakeRecord n with partition key pk.
func keyedRecord(n int, pk string) types.Record {
	r := fakeRecord(n)
	key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: fmt.Sprint(n)}}
	r.Dynamodb.Keys, r.Dynamodb.NewImage = key, key
	return r
}

// With ReadAhead, a record of another business committed while a batch is
// being delivered is delivered at once, in its own lane, instead of
// waiting for that batch to end and for the next GetRecords: the lag the
// local mapping adds no longer includes the slowest batch of the page.
func TestReadAheadDeliversOtherLanesWhileABatchIsInFlight(t *testing.T) {
	const factor = 10
	p := New(fakeTable{}, &fakeStreams{}, Config{TableName: "t", ParallelizationFactor: factor}, okHandler)
	p.partitionKey = "PK"
	// Two businesses whose records go to different lanes.
	slow, other := "BUSINESS#slow", ""
	slowLane := p.laneOf(eventRecordOf(t, keyedRecord(1, slow)))
	for i := 0; other == ""; i++ {
		if pk := fmt.Sprint("BUSINESS#", i); p.laneOf(eventRecordOf(t, keyedRecord(2, pk))) != slowLane {
			other = pk
		}
	}

	streams := &fakeStreams{streamARN: fakeStreamARN}
	shard := streams.addShard("s1", "", false)
	shard.records = append(shard.records, keyedRecord(1, slow))
	release := make(chan struct{})
	var releaseOnce sync.Once
	t.Cleanup(func() { releaseOnce.Do(func() { close(release) }) })
	run, poller := newFakeRun(t, streams, Config{ParallelizationFactor: factor, ReadAhead: true}, func(_ int, batch []int) (events.DynamoDBEventResponse, error) {
		if slices.Contains(batch, 1) {
			<-release
		}
		return events.DynamoDBEventResponse{}, nil
	})
	runPoller(t, poller)
	run.recorder.waitUntil(t, 5*time.Second, "the slow business's batch", func(d [][]events.DynamoDBEventRecord) bool { return len(d) == 1 })

	// Committed while the slow batch is in flight.
	streams.mu.Lock()
	shard.records = append(shard.records, keyedRecord(2, other), keyedRecord(3, slow))
	shard.closed = true
	streams.mu.Unlock()
	run.recorder.waitUntil(t, 5*time.Second, "the other business's record while the slow batch is still in flight", func(d [][]events.DynamoDBEventRecord) bool {
		return slices.Contains(slices.Concat(sequenceLists(d)...), 2)
	})
	if got := slices.Concat(sequenceLists(run.recorder.snapshot())...); slices.Contains(got, 3) {
		t.Errorf("record 3 was delivered while record 1 of the same business was still in flight; deliveries %v", got)
	}
	releaseOnce.Do(func() { close(release) })
	run.waitFinished(t, "s1")

	if diff := cmp.Diff([][]int{{1}, {2}, {3}}, sequenceLists(run.recorder.snapshot())); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

// eventRecordOf converts a fake stream record as the poller does.
func eventRecordOf(t *testing.T, r types.Record) events.DynamoDBEventRecord {
	t.Helper()
	record, err := eventRecord(fakeStreamARN, r)
	if err != nil {
		t.Fatal(err)
	}
	return record
}

// With ReadAhead, each business's records are still handled in stream
// order, each exactly once, and a record the handler reports as failed is
// retried, with the later records of its batch, before any later record
// of its business is handled, however many pages the reader has read
// meanwhile; and a batch still holds at most BatchSize records.
func TestReadAheadKeepsOrderAndRetriesPerBusiness(t *testing.T) {
	const total, keys = 90, 7
	streams := &fakeStreams{streamARN: fakeStreamARN, recordsPage: 4}
	shard := streams.addShard("s1", "", true)
	keyOf := map[int]string{}
	for n := 1; n <= total; n++ {
		keyOf[n] = fmt.Sprint("BUSINESS#", n%keys)
		shard.records = append(shard.records, keyedRecord(n, keyOf[n]))
	}
	var mu sync.Mutex
	handled := map[string][]int{}
	failedOnce := map[int]bool{}
	run, poller := newFakeRun(t, streams, Config{BatchSize: 3, ParallelizationFactor: 4, MaxRetryAttempts: -1, ReadAhead: true}, func(_ int, batch []int) (events.DynamoDBEventResponse, error) {
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		for i, n := range batch {
			// Every fifth record fails the first time it is handled.
			if n%5 == 0 && !failedOnce[n] {
				failedOnce[n] = true
				return failItems(n), nil
			}
			handled[keyOf[batch[i]]] = append(handled[keyOf[batch[i]]], n)
		}
		return events.DynamoDBEventResponse{}, nil
	})
	runPoller(t, poller)
	run.waitFinished(t, "s1")

	for _, batch := range run.recorder.snapshot() {
		if len(batch) > 3 {
			t.Errorf("a batch of %d records, more than BatchSize", len(batch))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for k := range keys {
		key := fmt.Sprint("BUSINESS#", k)
		var want []int
		for n := 1; n <= total; n++ {
			if keyOf[n] == key {
				want = append(want, n)
			}
		}
		if diff := cmp.Diff(want, handled[key]); diff != "" {
			t.Errorf("records of %s, in the order handled (-want +got):\n%s", key, diff)
		}
	}
	if got := run.onFailureCalls(); len(got) != 0 {
		t.Errorf("OnFailure called with %v; every record succeeds on its retry", got)
	}
}

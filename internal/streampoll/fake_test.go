package streampoll

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// fakeTable answers DescribeTable with a fixed stream ARN (or error).
type fakeTable struct {
	streamARN string
	err       error
}

func (f fakeTable) DescribeTable(context.Context, *dynamodb.DescribeTableInput, ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	// Keyed as the users table is: lanes split records by PK.
	table := &ddbtypes.TableDescription{KeySchema: []ddbtypes.KeySchemaElement{
		{AttributeName: aws.String("PK"), KeyType: ddbtypes.KeyTypeHash},
		{AttributeName: aws.String("SK"), KeyType: ddbtypes.KeyTypeRange},
	}}
	if f.streamARN != "" {
		table.LatestStreamArn = aws.String(f.streamARN)
	}
	return &dynamodb.DescribeTableOutput{Table: table}, nil
}

// fakeShard is one shard of fakeStreams. Record i (from 0) has sequence
// number first+i.
type fakeShard struct {
	id, parent string
	records    []types.Record
	closed     bool
	// trimmedBefore is how many of the oldest records the stream no longer
	// has; TRIM_HORIZON starts after them.
	trimmedBefore int
}

// fakeStreams is an in-memory DynamoDB Streams with one stream. Iterators
// are "shardID|position". It can page DescribeStream and GetRecords, and
// fail chosen GetRecords calls.
type fakeStreams struct {
	mu        sync.Mutex
	streamARN string
	shards    []*fakeShard
	// describePage is how many shards one DescribeStream returns; 0 is all.
	describePage int
	// recordsPage is how many records one GetRecords returns; 0 is all.
	recordsPage int
	// beforeGetRecords, when set, runs (under the lock) before GetRecords
	// call number call (from 1) and may change the stream or return an
	// error for the call to fail with.
	beforeGetRecords func(f *fakeStreams, call int) error
	// beforeGetShardIterator does the same for GetShardIterator, and is
	// told the shard asked for.
	beforeGetShardIterator func(f *fakeStreams, call int, shardID string) error

	getRecordsCalls       int
	getShardIteratorCalls int
	// iteratorRequests lists GetShardIterator calls as
	// "shard TYPE [sequence]", so tests can see how readers resumed.
	iteratorRequests []string
}

// addShard appends a shard whose records have the given sequence numbers.
func (f *fakeStreams) addShard(id, parent string, closed bool, sequenceNumbers ...int) *fakeShard {
	f.mu.Lock()
	defer f.mu.Unlock()
	shard := &fakeShard{id: id, parent: parent, closed: closed}
	for _, n := range sequenceNumbers {
		shard.records = append(shard.records, fakeRecord(n))
	}
	f.shards = append(f.shards, shard)
	return shard
}

// appendRecords adds records to an open shard and optionally closes it.
func (f *fakeStreams) appendRecords(id string, close bool, sequenceNumbers ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, shard := range f.shards {
		if shard.id == id {
			for _, n := range sequenceNumbers {
				shard.records = append(shard.records, fakeRecord(n))
			}
			shard.closed = shard.closed || close
		}
	}
}

func (f *fakeStreams) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.iteratorRequests...)
}

// fakeRecord is an INSERT with sequence number n and an item keyed by n.
func fakeRecord(n int) types.Record {
	key := map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: fmt.Sprint("item", n)}}
	return types.Record{
		EventID:   aws.String(fmt.Sprint("event", n)),
		EventName: types.OperationTypeInsert,
		Dynamodb: &types.StreamRecord{
			Keys:           key,
			NewImage:       key,
			SequenceNumber: aws.String(sequenceNumber(n)),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
}

// sequenceNumber formats n as DynamoDB Local does: 21 digits.
func sequenceNumber(n int) string { return fmt.Sprintf("%021d", n) }

func (f *fakeStreams) shard(id string) *fakeShard {
	for _, shard := range f.shards {
		if shard.id == id {
			return shard
		}
	}
	return nil
}

func (f *fakeStreams) DescribeStream(_ context.Context, in *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if aws.ToString(in.StreamArn) != f.streamARN {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no stream " + aws.ToString(in.StreamArn))}
	}
	start := 0
	if after := aws.ToString(in.ExclusiveStartShardId); after != "" {
		for i, shard := range f.shards {
			if shard.id == after {
				start = i + 1
			}
		}
	}
	end := len(f.shards)
	if f.describePage > 0 {
		end = min(end, start+f.describePage)
	}
	description := &types.StreamDescription{StreamArn: in.StreamArn}
	for _, shard := range f.shards[start:end] {
		s := types.Shard{ShardId: aws.String(shard.id)}
		if shard.parent != "" {
			s.ParentShardId = aws.String(shard.parent)
		}
		description.Shards = append(description.Shards, s)
	}
	if end < len(f.shards) {
		description.LastEvaluatedShardId = aws.String(f.shards[end-1].id)
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: description}, nil
}

func (f *fakeStreams) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	request := strings.TrimSpace(fmt.Sprint(aws.ToString(in.ShardId), " ", in.ShardIteratorType, " ", aws.ToString(in.SequenceNumber)))
	f.iteratorRequests = append(f.iteratorRequests, request)
	f.getShardIteratorCalls++
	if f.beforeGetShardIterator != nil {
		if err := f.beforeGetShardIterator(f, f.getShardIteratorCalls, aws.ToString(in.ShardId)); err != nil {
			return nil, err
		}
	}
	shard := f.shard(aws.ToString(in.ShardId))
	if shard == nil {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no shard " + aws.ToString(in.ShardId))}
	}
	position := shard.trimmedBefore
	switch in.ShardIteratorType {
	case types.ShardIteratorTypeTrimHorizon:
	case types.ShardIteratorTypeAfterSequenceNumber:
		after := aws.ToString(in.SequenceNumber)
		found := false
		for i, record := range shard.records {
			if aws.ToString(record.Dynamodb.SequenceNumber) == after {
				position, found = i+1, true
			}
		}
		if !found {
			return nil, fmt.Errorf("fake: no sequence number %s in shard %s", after, shard.id)
		}
		if position < shard.trimmedBefore {
			return nil, &types.TrimmedDataAccessException{Message: aws.String("trimmed")}
		}
	default:
		return nil, fmt.Errorf("fake: iterator type %s not supported", in.ShardIteratorType)
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(fmt.Sprint(shard.id, "|", position))}, nil
}

func (f *fakeStreams) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.getRecordsCalls++
	if f.beforeGetRecords != nil {
		if err := f.beforeGetRecords(f, f.getRecordsCalls); err != nil {
			return nil, err
		}
	}
	shardID, positionText, _ := strings.Cut(aws.ToString(in.ShardIterator), "|")
	position, err := strconv.Atoi(positionText)
	shard := f.shard(shardID)
	if err != nil || shard == nil {
		return nil, fmt.Errorf("fake: invalid iterator %q", aws.ToString(in.ShardIterator))
	}
	if position < shard.trimmedBefore {
		return nil, &types.TrimmedDataAccessException{Message: aws.String("trimmed")}
	}
	end := len(shard.records)
	if f.recordsPage > 0 {
		end = min(end, position+f.recordsPage)
	}
	if limit := int(aws.ToInt32(in.Limit)); limit > 0 {
		end = min(end, position+limit)
	}
	out := &dynamodbstreams.GetRecordsOutput{Records: append([]types.Record(nil), shard.records[position:end]...)}
	if !shard.closed || end < len(shard.records) {
		out.NextShardIterator = aws.String(fmt.Sprint(shard.id, "|", end))
	}
	return out, nil
}

// delivery recorder shared by the fake and the DynamoDB Local tests.

// recorder keeps every batch a handler was called with.
type recorder struct {
	mu         sync.Mutex
	deliveries [][]events.DynamoDBEventRecord
	changed    chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

// add records a delivery and returns how many there were before it.
func (r *recorder) add(records []events.DynamoDBEventRecord) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.deliveries = append(r.deliveries, records)
	r.notify()
	return len(r.deliveries) - 1
}

func (r *recorder) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() [][]events.DynamoDBEventRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]events.DynamoDBEventRecord(nil), r.deliveries...)
}

// waitUntil waits until done holds for the deliveries so far, failing the
// test after timeout.
func (r *recorder) waitUntil(t testing.TB, timeout time.Duration, what string, done func([][]events.DynamoDBEventRecord) bool) {
	t.Helper()
	deadline := time.After(timeout)
	for !done(r.snapshot()) {
		select {
		case <-r.changed:
		case <-deadline:
			t.Fatalf("timed out after %s waiting for %s; deliveries so far: %v", timeout, what, sequenceLists(r.snapshot()))
		}
	}
}

// sequences lists the records' sequence numbers, as short numbers.
func sequences(records []events.DynamoDBEventRecord) []int {
	out := []int{}
	for _, record := range records {
		n, err := strconv.Atoi(strings.TrimLeft(record.Change.SequenceNumber, "0"))
		if err != nil {
			n = -1
		}
		out = append(out, n)
	}
	return out
}

func sequenceLists(deliveries [][]events.DynamoDBEventRecord) [][]int {
	out := [][]int{}
	for _, delivery := range deliveries {
		out = append(out, sequences(delivery))
	}
	return out
}

// testLogger writes to the test's output, shown with -v or on failure.
func testLogger(t testing.TB) *slog.Logger {
	var w io.Writer = t.Output()
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// runPoller runs p until the test ends, and returns a function that stops
// it and reports how long Run took to return.
func runPoller(t testing.TB, p *Poller) (stop func() (time.Duration, error)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- p.Run(ctx) }()
	var once sync.Once
	var elapsed time.Duration
	var runErr error
	stop = func() (time.Duration, error) {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case runErr = <-result:
			case <-time.After(10 * time.Second):
				runErr = fmt.Errorf("Run did not return within 10s of cancellation")
			}
			elapsed = time.Since(start)
		})
		return elapsed, runErr
	}
	t.Cleanup(func() {
		if _, err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return stop
}

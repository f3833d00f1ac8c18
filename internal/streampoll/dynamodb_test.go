package streampoll

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
)

// These tests run the poller against DynamoDB Local; dynamotest skips them
// unless DYNAMODB_ENDPOINT is set.

const testPK = "BUSINESS#streampoll"

// localTable is a fresh table on DynamoDB Local with clients for it.
type localTable struct {
	db      *dynamodb.Client
	streams *dynamodbstreams.Client
	name    string
}

func newLocalTable(t testing.TB) localTable {
	t.Helper()
	db := dynamotest.Client(t)
	return localTable{
		db:      db,
		streams: dynamodblocal.NewStreamsClient(dynamodblocal.EndpointFromEnv()),
		name:    dynamotest.NewTable(t, db),
	}
}

func (l localTable) streamARN(t testing.TB) string {
	t.Helper()
	out, err := l.db.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(l.name)})
	if err != nil {
		t.Fatalf("describe table: %v", err)
	}
	return aws.ToString(out.Table.LatestStreamArn)
}

// key is the item key of test item sk.
func key(sk string) map[string]ddbtypes.AttributeValue {
	return map[string]ddbtypes.AttributeValue{
		"PK": &ddbtypes.AttributeValueMemberS{Value: testPK},
		"SK": &ddbtypes.AttributeValueMemberS{Value: sk},
	}
}

// item is key(sk) with extra attributes.
func item(sk string, attributes map[string]ddbtypes.AttributeValue) map[string]ddbtypes.AttributeValue {
	out := key(sk)
	for name, value := range attributes {
		out[name] = value
	}
	return out
}

func (l localTable) put(t testing.TB, sk string, attributes map[string]ddbtypes.AttributeValue) {
	t.Helper()
	if _, err := l.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(l.name), Item: item(sk, attributes)}); err != nil {
		t.Fatalf("put %s: %v", sk, err)
	}
}

// poller returns a poller for the table with test timings; cfg's zero
// fields get them.
func (l localTable) poller(t testing.TB, cfg Config, handler Handler) *Poller {
	cfg.TableName = l.name
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 5 * time.Millisecond
	}
	cfg.Log = testLogger(t)
	return New(l.db, l.streams, cfg, handler)
}

// recordingHandler records every delivery and then answers with respond
// (nil: success). call counts from 0.
func recordingHandler(r *recorder, respond func(call int, records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error)) Handler {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		call := r.add(ev.Records)
		if respond == nil {
			return events.DynamoDBEventResponse{}, nil
		}
		return respond(call, ev.Records)
	}
}

// sortKeys lists the SK of each record's item.
func sortKeys(records []events.DynamoDBEventRecord) []string {
	out := []string{}
	for _, record := range records {
		out = append(out, record.Change.Keys["SK"].String())
	}
	return out
}

func sortKeyLists(deliveries [][]events.DynamoDBEventRecord) [][]string {
	out := [][]string{}
	for _, delivery := range deliveries {
		out = append(out, sortKeys(delivery))
	}
	return out
}

// delivered reports whether a record of item sk has been delivered.
func delivered(sk string) func([][]events.DynamoDBEventRecord) bool {
	return func(deliveries [][]events.DynamoDBEventRecord) bool {
		return slices.Contains(slices.Concat(sortKeyLists(deliveries)...), sk)
	}
}

const deliveryTimeout = 5 * time.Second

func TestLocalDeliversPutItemAndTransactWriteItemsInOrder(t *testing.T) {
	l := newLocalTable(t)
	r := newRecorder()
	runPoller(t, l.poller(t, Config{}, recordingHandler(r, nil)))
	before := time.Now()

	// One item holds every attribute type, so the conversion is checked
	// against what DynamoDB Local really sends.
	every := map[string]ddbtypes.AttributeValue{
		"name":    &ddbtypes.AttributeValueMemberS{Value: "Ada"},
		"count":   &ddbtypes.AttributeValueMemberN{Value: "42"},
		"blob":    &ddbtypes.AttributeValueMemberB{Value: []byte{1, 2, 3}},
		"tabs":    &ddbtypes.AttributeValueMemberSS{Value: []string{"users", "billing"}},
		"scores":  &ddbtypes.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"blobs":   &ddbtypes.AttributeValueMemberBS{Value: [][]byte{{1}, {2}}},
		"active":  &ddbtypes.AttributeValueMemberBOOL{Value: true},
		"phone":   &ddbtypes.AttributeValueMemberNULL{Value: true},
		"history": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberS{Value: "invited"}, &ddbtypes.AttributeValueMemberN{Value: "7"}}},
		"profile": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"first": &ddbtypes.AttributeValueMemberS{Value: "Ada"}}},
	}
	wantEvery := map[string]events.DynamoDBAttributeValue{
		"PK":      events.NewStringAttribute(testPK),
		"SK":      events.NewStringAttribute("ITEM#1"),
		"name":    events.NewStringAttribute("Ada"),
		"count":   events.NewNumberAttribute("42"),
		"blob":    events.NewBinaryAttribute([]byte{1, 2, 3}),
		"tabs":    events.NewStringSetAttribute([]string{"users", "billing"}),
		"scores":  events.NewNumberSetAttribute([]string{"1", "2.5"}),
		"blobs":   events.NewBinarySetAttribute([][]byte{{1}, {2}}),
		"active":  events.NewBooleanAttribute(true),
		"phone":   events.NewNullAttribute(),
		"history": events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("invited"), events.NewNumberAttribute("7")}),
		"profile": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"first": events.NewStringAttribute("Ada")}),
	}
	l.put(t, "ITEM#1", every)
	_, err := l.db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
		{Put: &ddbtypes.Put{TableName: aws.String(l.name), Item: item("ITEM#2", map[string]ddbtypes.AttributeValue{"via": &ddbtypes.AttributeValueMemberS{Value: "transaction"}})}},
		{Put: &ddbtypes.Put{TableName: aws.String(l.name), Item: item("ITEM#3", map[string]ddbtypes.AttributeValue{"via": &ddbtypes.AttributeValueMemberS{Value: "transaction"}})}},
	}})
	if err != nil {
		t.Fatalf("transact write: %v", err)
	}
	l.put(t, "ITEM#4", nil)
	r.waitUntil(t, deliveryTimeout, "ITEM#4", delivered("ITEM#4"))

	records := slices.Concat(r.snapshot()...)
	t.Logf("stream order: %v", sortKeys(records))
	// DynamoDB orders the changes of each item, not those of different
	// items written by one transaction; only the transaction's place
	// between the two single writes is certain.
	if len(records) == 4 && records[1].Change.Keys["SK"].String() > records[2].Change.Keys["SK"].String() {
		records[1], records[2] = records[2], records[1]
	}
	type change struct {
		EventName string
		Keys      map[string]events.DynamoDBAttributeValue
		NewImage  map[string]events.DynamoDBAttributeValue
		OldImage  map[string]events.DynamoDBAttributeValue
	}
	viaTransaction := func(sk string) map[string]events.DynamoDBAttributeValue {
		return map[string]events.DynamoDBAttributeValue{
			"PK": events.NewStringAttribute(testPK), "SK": events.NewStringAttribute(sk),
			"via": events.NewStringAttribute("transaction"),
		}
	}
	keyOf := func(sk string) map[string]events.DynamoDBAttributeValue {
		return map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute(testPK), "SK": events.NewStringAttribute(sk)}
	}
	want := []change{
		{EventName: "INSERT", Keys: keyOf("ITEM#1"), NewImage: wantEvery},
		{EventName: "INSERT", Keys: keyOf("ITEM#2"), NewImage: viaTransaction("ITEM#2")},
		{EventName: "INSERT", Keys: keyOf("ITEM#3"), NewImage: viaTransaction("ITEM#3")},
		{EventName: "INSERT", Keys: keyOf("ITEM#4"), NewImage: keyOf("ITEM#4")},
	}
	var got []change
	for _, record := range records {
		got = append(got, change{EventName: record.EventName, Keys: record.Change.Keys, NewImage: record.Change.NewImage, OldImage: record.Change.OldImage})
	}
	if diff := cmp.Diff(want, got, compareAttributes); diff != "" {
		t.Errorf("delivered changes mismatch (-want +got):\n%s", diff)
	}

	// The envelope is what Lambda puts around each record.
	streamARN := l.streamARN(t)
	eventIDs := map[string]bool{}
	for i, record := range records {
		if record.EventSource != "aws:dynamodb" || record.EventVersion != "1.1" || record.EventSourceArn != streamARN ||
			record.Change.StreamViewType != "NEW_AND_OLD_IMAGES" || record.AWSRegion == "" {
			t.Errorf("record %d envelope: source %q, version %q, source ARN %q (want %q), view type %q, region %q",
				i, record.EventSource, record.EventVersion, record.EventSourceArn, streamARN, record.Change.StreamViewType, record.AWSRegion)
		}
		if record.EventID == "" || eventIDs[record.EventID] {
			t.Errorf("record %d has event ID %q, want a unique one", i, record.EventID)
		}
		eventIDs[record.EventID] = true
		if record.Change.SizeBytes <= 0 {
			t.Errorf("record %d has SizeBytes %d, want > 0", i, record.Change.SizeBytes)
		}
		// DynamoDB Local rounds the creation time down to the minute (the
		// service to the second).
		if created := record.Change.ApproximateCreationDateTime.Time; created.Before(before.Truncate(time.Minute)) || created.After(time.Now()) {
			t.Errorf("record %d was created at %s, want between %s and now", i, created, before)
		}
	}
	var sequenceNumbers []string
	for _, record := range slices.Concat(r.snapshot()...) {
		sequenceNumbers = append(sequenceNumbers, record.Change.SequenceNumber)
	}
	if !slices.IsSortedFunc(sequenceNumbers, func(a, b string) int {
		if sequenceAfter(a, b) {
			return 1
		}
		return -1
	}) {
		t.Errorf("records were not delivered in stream order: %v", sequenceNumbers)
	}
}

func TestLocalDeliversRecordsCommittedBeforeRun(t *testing.T) {
	l := newLocalTable(t)
	l.put(t, "ITEM#early", nil)
	r := newRecorder()
	runPoller(t, l.poller(t, Config{}, recordingHandler(r, nil)))
	r.waitUntil(t, deliveryTimeout, "the record committed before Run", delivered("ITEM#early"))
}

func TestLocalPartialFailureRedeliversFromTheReportedRecord(t *testing.T) {
	l := newLocalTable(t)
	// Committed before Run, so that all five arrive in one batch.
	for i := 1; i <= 5; i++ {
		l.put(t, fmt.Sprint("ITEM#", i), nil)
	}
	r := newRecorder()
	handler := recordingHandler(r, func(call int, records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		if call == 0 && len(records) == 5 {
			return events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{
				{ItemIdentifier: records[2].Change.SequenceNumber},
			}}, nil
		}
		return events.DynamoDBEventResponse{}, nil
	})
	runPoller(t, l.poller(t, Config{}, handler))
	r.waitUntil(t, deliveryTimeout, "the retry", func(d [][]events.DynamoDBEventRecord) bool { return len(d) >= 2 })
	// A later record is delivered only after the batch before it is done
	// with, so once it arrives every retry has happened.
	l.put(t, "ITEM#later", nil)
	r.waitUntil(t, deliveryTimeout, "ITEM#later", delivered("ITEM#later"))

	want := [][]string{
		{"ITEM#1", "ITEM#2", "ITEM#3", "ITEM#4", "ITEM#5"},
		{"ITEM#3", "ITEM#4", "ITEM#5"},
		{"ITEM#later"},
	}
	if diff := cmp.Diff(want, sortKeyLists(r.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}
}

func TestLocalAlwaysFailingHandlerIsGivenUpOnAfterMaxRetryAttempts(t *testing.T) {
	l := newLocalTable(t)
	l.put(t, "ITEM#1", nil)
	l.put(t, "ITEM#2", nil)
	r := newRecorder()
	handler := recordingHandler(r, func(call int, records []events.DynamoDBEventRecord) (events.DynamoDBEventResponse, error) {
		if slices.Contains(sortKeys(records), "ITEM#later") {
			return events.DynamoDBEventResponse{}, nil
		}
		return events.DynamoDBEventResponse{}, errors.New("SES is down")
	})
	var mu sync.Mutex
	var gaveUp [][]string
	var reasons []error
	cfg := Config{
		MaxRetryAttempts: 3,
		OnFailure: func(records []events.DynamoDBEventRecord, reason error) {
			mu.Lock()
			defer mu.Unlock()
			gaveUp = append(gaveUp, sortKeys(records))
			reasons = append(reasons, reason)
			r.notify()
		},
	}
	runPoller(t, l.poller(t, cfg, handler))
	r.waitUntil(t, deliveryTimeout, "the last retry", func(d [][]events.DynamoDBEventRecord) bool { return len(d) >= 4 })
	// The shard moves on after giving up, so this arrives after OnFailure.
	l.put(t, "ITEM#later", nil)
	r.waitUntil(t, deliveryTimeout, "ITEM#later", delivered("ITEM#later"))

	failed := []string{"ITEM#1", "ITEM#2"}
	want := [][]string{failed, failed, failed, failed, {"ITEM#later"}}
	if diff := cmp.Diff(want, sortKeyLists(r.snapshot())); diff != "" {
		t.Errorf("deliveries mismatch, want 1+MaxRetryAttempts of the failing batch (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([][]string{failed}, gaveUp); diff != "" {
		t.Errorf("OnFailure records mismatch (-want +got):\n%s", diff)
	}
	if len(reasons) != 1 || reasons[0] == nil || reasons[0].Error() != "handler returned an error: SES is down" {
		t.Errorf("OnFailure reasons = %v, want the handler's error", reasons)
	}
}

func TestLocalFilterSkipsModifyRecords(t *testing.T) {
	l := newLocalTable(t)
	r := newRecorder()
	var mu sync.Mutex
	var filtered []string
	cfg := Config{Filter: func(record events.DynamoDBEventRecord) bool {
		mu.Lock()
		defer mu.Unlock()
		filtered = append(filtered, record.EventName)
		return record.EventName != "MODIFY"
	}}
	runPoller(t, l.poller(t, cfg, recordingHandler(r, nil)))

	ctx := context.Background()
	l.put(t, "ITEM#1", map[string]ddbtypes.AttributeValue{"name": &ddbtypes.AttributeValueMemberS{Value: "Ada"}})
	_, err := l.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(l.name),
		Key:                       key("ITEM#1"),
		UpdateExpression:          aws.String("SET #name = :name"),
		ExpressionAttributeNames:  map[string]string{"#name": "name"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":name": &ddbtypes.AttributeValueMemberS{Value: "Grace"}},
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if _, err := l.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(l.name), Key: key("ITEM#1")}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	l.put(t, "ITEM#2", nil)
	r.waitUntil(t, deliveryTimeout, "ITEM#2", delivered("ITEM#2"))

	type change struct {
		EventName, SK string
		NewImage      map[string]events.DynamoDBAttributeValue
		OldImage      map[string]events.DynamoDBAttributeValue
	}
	image := func(sk, name string) map[string]events.DynamoDBAttributeValue {
		m := map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute(testPK), "SK": events.NewStringAttribute(sk)}
		if name != "" {
			m["name"] = events.NewStringAttribute(name)
		}
		return m
	}
	want := []change{
		{EventName: "INSERT", SK: "ITEM#1", NewImage: image("ITEM#1", "Ada")},
		{EventName: "REMOVE", SK: "ITEM#1", OldImage: image("ITEM#1", "Grace")},
		{EventName: "INSERT", SK: "ITEM#2", NewImage: image("ITEM#2", "")},
	}
	var got []change
	for _, record := range slices.Concat(r.snapshot()...) {
		got = append(got, change{record.EventName, record.Change.Keys["SK"].String(), record.Change.NewImage, record.Change.OldImage})
	}
	if diff := cmp.Diff(want, got, compareAttributes); diff != "" {
		t.Errorf("delivered changes mismatch (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"INSERT", "MODIFY", "REMOVE", "INSERT"}, filtered); diff != "" {
		t.Errorf("the filter saw (-want +got):\n%s", diff)
	}
}

func TestLocalCancelEndsRunPromptly(t *testing.T) {
	l := newLocalTable(t)
	r := newRecorder()
	stop := runPoller(t, l.poller(t, Config{PollInterval: DefaultPollInterval}, recordingHandler(r, nil)))
	l.put(t, "ITEM#1", nil)
	r.waitUntil(t, deliveryTimeout, "ITEM#1", delivered("ITEM#1"))
	elapsed, err := stop()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if elapsed > 500*time.Millisecond {
		t.Errorf("Run took %s to return after cancellation, want under 500ms", elapsed)
	}
}

// BenchmarkLocalStreamTiming measures how soon a committed change shows up:
// in GetRecords on its own, and at the handler with the default
// PollInterval. It is a benchmark rather than a test because its figures
// depend on the machine's load (a timed assertion would fail on a busy CI
// machine without anything being wrong); the numbers are logged for whoever
// tunes the local stack:
//
//	go run ./cmd/withdynamodb go test -run '^$' -bench LocalStreamTiming -benchtime 1x ./internal/streampoll
func BenchmarkLocalStreamTiming(b *testing.B) {
	t := b
	l := newLocalTable(t)
	ctx := context.Background()
	streamARN := l.streamARN(t)

	// GetRecords, polled in a tight loop right after PutItem returns.
	description, err := l.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil {
		t.Fatalf("describe stream: %v", err)
	}
	shards := description.StreamDescription.Shards
	t.Logf("a new table's stream has %d shard(s)", len(shards))
	iterator, err := l.streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
		StreamArn: aws.String(streamARN), ShardId: shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON",
	})
	if err != nil {
		t.Fatalf("get shard iterator: %v", err)
	}
	next := iterator.ShardIterator
	var visible []time.Duration
	emptyReads := 0
	for i := range 20 {
		l.put(t, fmt.Sprint("RAW#", i), nil)
		committed := time.Now()
		for {
			out, err := l.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
			if err != nil {
				t.Fatalf("get records: %v", err)
			}
			next = out.NextShardIterator
			if len(out.Records) > 0 {
				visible = append(visible, time.Since(committed))
				break
			}
			emptyReads++
			if next == nil {
				t.Fatal("the shard closed")
			}
		}
	}
	t.Logf("commit → GetRecords: %s over 20 writes; %d empty reads before a record appeared", summary(visible), emptyReads)

	// The poller, with the default PollInterval.
	r := newRecorder()
	runPoller(t, l.poller(t, Config{PollInterval: DefaultPollInterval}, recordingHandler(r, nil)))
	r.waitUntil(t, deliveryTimeout, "the raw records", delivered("RAW#19"))
	var latencies []time.Duration
	for i := range 10 {
		// Right after a delivery the reader polls again at once; writing
		// then would measure one GetRecords call, not the wait a change
		// committed at a random moment sees. So write at spread-out points
		// of the reader's idle PollInterval.
		time.Sleep(5*time.Millisecond + time.Duration(i*37%95)*time.Millisecond)
		sk := fmt.Sprint("TIMED#", i)
		l.put(t, sk, nil)
		committed := time.Now()
		r.waitUntil(t, deliveryTimeout, sk, delivered(sk))
		latencies = append(latencies, time.Since(committed))
	}
	t.Logf("commit → handler (PollInterval %s): %s over %d writes", DefaultPollInterval, summary(latencies), len(latencies))
	b.ReportMetric(float64(slices.Max(latencies).Microseconds())/1000, "ms-slowest-delivery")

	description, err = l.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(streamARN)})
	if err != nil {
		t.Fatalf("describe stream: %v", err)
	}
	for _, shard := range description.StreamDescription.Shards {
		t.Logf("after the writes: shard %s, parent %q, sequence numbers %s..%s", aws.ToString(shard.ShardId), aws.ToString(shard.ParentShardId),
			aws.ToString(shard.SequenceNumberRange.StartingSequenceNumber), aws.ToString(shard.SequenceNumberRange.EndingSequenceNumber))
	}
}

// summary formats the minimum, median and maximum of durations.
func summary(durations []time.Duration) string {
	sorted := slices.Clone(durations)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return fmt.Sprintf("min %s, median %s, max %s",
		sorted[0].Round(10*time.Microsecond), sorted[len(sorted)/2].Round(10*time.Microsecond), sorted[len(sorted)-1].Round(10*time.Microsecond))
}

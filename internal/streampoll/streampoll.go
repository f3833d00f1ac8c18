// Package streampoll is the local stand-in for the Lambda event source
// mapping that feeds the stream consumer (SPEC §5, §6). It reads the table's
// DynamoDB Stream, here the stream of Amazon's DynamoDB Local, and calls the
// consumer's handler with the same events.DynamoDBEvent batches Lambda would
// send, honouring what the SAM template configures on the mapping: a filter,
// the batch size, ReportBatchItemFailures, MaximumRetryAttempts and an
// on-failure destination.
//
// Like the mapping, it reads every shard from TRIM_HORIZON, a parent shard
// before its children, and delivers each shard's records in stream order,
// one batch at a time, or with a ParallelizationFactor several batches at
// once, each partition key's records in order; with ReadAhead it keeps
// reading while batches are delivered. Shards are read
// concurrently, so a handler must be safe for concurrent use, as a Lambda
// function is. Delivery is at least
// once: nothing is checkpointed, so a restarted poller delivers the stream's
// retained records again, and the consumer is idempotent for that reason.
package streampoll

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Handler is the stream consumer, with the signature of a Lambda handler
// for DynamoDB stream events that reports batch item failures. An error
// fails the whole batch; BatchItemFailures fail the earliest listed record
// and every later record of the batch.
type Handler func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Config is the event source mapping's configuration. Zero values take the
// defaults documented on each field.
type Config struct {
	// TableName is the table whose stream is read. It is required.
	TableName string
	// BatchSize is the most records one invocation receives; default 10.
	// Without ReadAhead a batch never spans two GetRecords pages, so
	// batches can be smaller.
	BatchSize int
	// PollInterval is how long a shard's reader waits after finding no new
	// records; default 100ms, so a change reaches the handler well within
	// a second.
	PollInterval time.Duration
	// MaxRetryAttempts is how often a failed batch is retried before its
	// unfinished records go to OnFailure; default 5, as the template's
	// MaximumRetryAttempts. A negative value retries without limit, as -1
	// does in Lambda.
	MaxRetryAttempts int
	// ParallelizationFactor is how many batches of one shard are handled
	// at once, as the mapping's ParallelizationFactor (1 to 10): the
	// shard's records are split by their partition key into that many
	// lanes, each delivered in order, batch after batch, so the records of
	// one partition key (here, of one business) keep their order. It needs
	// the table's key schema; default 1, one batch at a time.
	ParallelizationFactor int
	// ReadAhead keeps a shard's reader reading while batches are being
	// delivered, instead of waiting for a page's last batch before the
	// next GetRecords. Each lane then delivers, as soon as its previous
	// batch is done, a batch of up to BatchSize of the records read for it
	// so far, which may come from several GetRecords pages. A record
	// committed while a batch is delivered no longer waits for every lane
	// of that page and for the next GetRecords before its own delivery
	// starts. Order per partition key, retries and OnFailure are as without
	// it; the reader pauses while two batches per lane, counted over all
	// lanes, wait undelivered, so a lane that keeps failing still holds the
	// shard back. Default false: a page is delivered, then the next is
	// read, and batches never span two pages.
	ReadAhead bool
	// RetryBackoff is the wait before the first retry of a batch; it doubles
	// with each further retry, up to maxRetryBackoff. Default 100ms.
	RetryBackoff time.Duration
	// Filter selects the records to deliver, as the mapping's filter
	// criteria do; records it rejects are skipped and never retried. Nil
	// delivers every record. Readers of different shards, and lanes of one
	// shard, call it concurrently.
	Filter func(events.DynamoDBEventRecord) bool
	// OnFailure stands in for the on-failure destination: it receives the
	// records given up on after MaxRetryAttempts, and why. Nil drops them
	// (they are logged either way). Readers of different shards, and lanes
	// of one shard, call it concurrently.
	OnFailure func(records []events.DynamoDBEventRecord, reason error)
	// Log receives what the mapping would report to CloudWatch; default
	// slog.Default().
	Log *slog.Logger
}

// Defaults for the zero values of Config.
const (
	DefaultBatchSize        = 10
	DefaultPollInterval     = 100 * time.Millisecond
	DefaultMaxRetryAttempts = 5
	DefaultRetryBackoff     = 100 * time.Millisecond
	// MaxParallelizationFactor is the mapping's own bound.
	MaxParallelizationFactor = 10
)

const (
	// maxRetryBackoff caps the doubling of RetryBackoff so that a handler
	// failing for a long time is still retried every few seconds.
	maxRetryBackoff = 5 * time.Second
	// defaultDiscoveryInterval is how often the stream is described to find
	// new shards. A shard that closes also triggers a description at once,
	// since its children must exist by then.
	defaultDiscoveryInterval = time.Second
	// maxErrorBackoff caps the doubling wait between attempts after a
	// failed DynamoDB Streams call, so that a restarted DynamoDB Local is
	// found again within seconds.
	maxErrorBackoff = 5 * time.Second
	// getRecordsLimit is the most records DynamoDB Streams returns per call.
	getRecordsLimit = 1000
	// readAheadBatches is how many batches per lane a reader with
	// ReadAhead may have read and not yet delivered before it waits: enough
	// that a busy lane finds its next batch full, few enough that a failing
	// lane stops the shard's reading soon, as it would without ReadAhead.
	readAheadBatches = 2
)

// DescribeTableAPI is what the poller needs of a DynamoDB client: finding
// the table's stream.
type DescribeTableAPI interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// StreamsAPI is what the poller needs of a DynamoDB Streams client.
type StreamsAPI interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

var (
	_ DescribeTableAPI = (*dynamodb.Client)(nil)
	_ StreamsAPI       = (*dynamodbstreams.Client)(nil)
)

// Poller reads a table's stream and delivers its records to a Handler.
// Make one with New.
type Poller struct {
	db      DescribeTableAPI
	streams StreamsAPI
	cfg     Config
	handler Handler
	log     *slog.Logger
	// partitionKey is the name of the table's partition key attribute,
	// which lanes split records by; "" until Run has described the table.
	partitionKey string

	// discoveryInterval is defaultDiscoveryInterval; tests shorten it.
	discoveryInterval time.Duration
	// shardFinished, when set, is told when a shard's reader stops after
	// reading the closed shard to its end. Tests use it to know that every
	// delivery and retry of a shard has happened.
	shardFinished func(shardID string)
}

// New returns a poller for cfg.TableName's stream that calls handler. It
// does nothing until Run.
func New(db DescribeTableAPI, streams StreamsAPI, cfg Config, handler Handler) *Poller {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxRetryAttempts == 0 {
		cfg.MaxRetryAttempts = DefaultMaxRetryAttempts
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = DefaultRetryBackoff
	}
	cfg.ParallelizationFactor = min(max(cfg.ParallelizationFactor, 1), MaxParallelizationFactor)
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	return &Poller{
		db:                db,
		streams:           streams,
		cfg:               cfg,
		handler:           handler,
		log:               log.With("component", "streampoll", "table", cfg.TableName),
		discoveryInterval: defaultDiscoveryInterval,
	}
}

// Run reads the stream until ctx is done, then waits for the shard readers
// (and any handler call in progress) to stop and returns nil. It returns an
// error at once if the table cannot be described or has no stream; later
// failures of DynamoDB Streams are logged and retried, as Lambda does.
func (p *Poller) Run(ctx context.Context) error {
	if p.cfg.TableName == "" {
		return errors.New("streampoll: Config.TableName is empty")
	}
	if p.handler == nil {
		return errors.New("streampoll: handler is nil")
	}
	streamARN, err := p.streamARN(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	log := p.log.With("stream", streamARN)
	log.Info("polling the table's stream")

	var readers sync.WaitGroup
	defer readers.Wait()
	known := map[string]*shardReader{}
	// A closed shard asks for a new description through this channel; one
	// pending request is enough, however many shards close meanwhile.
	rediscover := make(chan struct{}, 1)
	ticker := time.NewTicker(p.discoveryInterval)
	defer ticker.Stop()
	failures := 0
	for {
		shards, err := p.listShards(ctx, streamARN)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			failures++
			log.Warn("cannot list the stream's shards; trying again", "error", err)
			if sleep(ctx, errorBackoff(p.cfg.PollInterval, failures)) != nil {
				return nil
			}
			continue
		}
		failures = 0
		p.startNewShards(ctx, streamARN, shards, known, &readers, rediscover)
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		case <-rediscover:
		}
	}
}

// streamARN finds the table's stream.
func (p *Poller) streamARN(ctx context.Context) (string, error) {
	out, err := p.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(p.cfg.TableName)})
	if err != nil {
		return "", fmt.Errorf("streampoll: describe table %s: %w", p.cfg.TableName, err)
	}
	if out.Table == nil || aws.ToString(out.Table.LatestStreamArn) == "" {
		return "", fmt.Errorf("streampoll: table %s has no stream; enable StreamSpecification", p.cfg.TableName)
	}
	for _, k := range out.Table.KeySchema {
		if k.KeyType == ddbtypes.KeyTypeHash {
			p.partitionKey = aws.ToString(k.AttributeName)
		}
	}
	if p.partitionKey == "" && p.cfg.ParallelizationFactor > 1 {
		// Without the partition key, lanes could reorder one key's
		// records: deliver one batch at a time instead.
		p.log.Warn("the table's partition key is unknown; delivering one batch at a time")
		p.cfg.ParallelizationFactor = 1
	}
	return aws.ToString(out.Table.LatestStreamArn), nil
}

// listShards describes the stream, following LastEvaluatedShardId over as
// many pages as it takes.
func (p *Poller) listShards(ctx context.Context, streamARN string) ([]types.Shard, error) {
	var shards []types.Shard
	var startAfter *string
	for {
		out, err := p.streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{
			StreamArn:             aws.String(streamARN),
			ExclusiveStartShardId: startAfter,
		})
		if err != nil {
			return nil, fmt.Errorf("describe stream %s: %w", streamARN, err)
		}
		if out.StreamDescription == nil {
			return shards, nil
		}
		shards = append(shards, out.StreamDescription.Shards...)
		startAfter = out.StreamDescription.LastEvaluatedShardId
		if startAfter == nil {
			return shards, nil
		}
	}
}

// shardReader is the state Run keeps per shard it has seen, so that a shard
// is read once however often it is listed, and a child can wait for its
// parent.
type shardReader struct {
	// finished is closed when the reader stops: the shard was read to its
	// end, it no longer exists, or the poller is stopping.
	finished chan struct{}
}

// startNewShards starts a reader for every listed shard not seen before. A
// shard whose parent is still being read waits for it, since the parent
// holds the item's earlier changes. A parent that is no longer listed has
// been trimmed away, and there is nothing to wait for.
func (p *Poller) startNewShards(ctx context.Context, streamARN string, shards []types.Shard, known map[string]*shardReader, readers *sync.WaitGroup, rediscover chan<- struct{}) {
	// Register every new shard before starting any, so that a child listed
	// before its parent still finds the parent's reader.
	var started []types.Shard
	for _, shard := range shards {
		id := aws.ToString(shard.ShardId)
		if _, seen := known[id]; seen || id == "" {
			continue
		}
		known[id] = &shardReader{finished: make(chan struct{})}
		started = append(started, shard)
	}
	for _, shard := range started {
		id := aws.ToString(shard.ShardId)
		reader := known[id]
		var parentFinished <-chan struct{}
		if parent, ok := known[aws.ToString(shard.ParentShardId)]; ok {
			parentFinished = parent.finished
		}
		readers.Add(1)
		go func() {
			defer readers.Done()
			defer close(reader.finished)
			if parentFinished != nil {
				select {
				case <-parentFinished:
				case <-ctx.Done():
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			p.readShard(ctx, streamARN, id, rediscover)
		}()
	}
}

// readShard delivers one shard's records from TRIM_HORIZON until the shard
// is closed and drained, it disappears, or ctx is done.
func (p *Poller) readShard(ctx context.Context, streamARN, shardID string, rediscover chan<- struct{}) {
	log := p.log.With("stream", streamARN, "shard", shardID)
	log.Debug("reading shard")
	position := shardPosition{streamARN: streamARN, shardID: shardID}
	iterator, err := p.shardIterator(ctx, log, &position)
	if err != nil {
		p.stopReading(ctx, log, err)
		return
	}
	lanes := p.startLanes(ctx, log)
	// The reader returns only once its lanes have delivered what it read,
	// or the poller stops: a child shard's reader starts after its parent's
	// returns, and Run waits for every handler call in progress.
	defer lanes.close()
	failures := 0
	for {
		// Without ReadAhead the next page waits for every batch of the
		// last; with it, only for the lanes to have room.
		if err := lanes.waitPending(p.readAheadLimit()); err != nil {
			return
		}
		out, err := p.streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{
			ShardIterator: iterator,
			Limit:         aws.Int32(getRecordsLimit),
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var expired *types.ExpiredIteratorException
			var trimmed *types.TrimmedDataAccessException
			switch {
			case errors.As(err, &expired):
				// Iterators live 15 minutes; a long run of retries outlives
				// one. Continue right after the last record handled.
				log.Info("shard iterator expired; getting a new one after the last record handled", "after", position.lastSequence)
			case errors.As(err, &trimmed):
				// The records the iterator points at are older than the
				// stream keeps (24 hours). Lambda moves on to the oldest
				// record left, and so do we.
				log.Warn("records were trimmed from the stream before they were read; continuing at the oldest record left", "after", position.lastSequence, "error", err)
				position.restartAtTrimHorizon()
			default:
				failures++
				log.Warn("cannot read the shard; trying again", "error", err)
				if sleep(ctx, errorBackoff(p.cfg.PollInterval, failures)) != nil {
					return
				}
				continue
			}
			if iterator, err = p.shardIterator(ctx, log, &position); err != nil {
				p.stopReading(ctx, log, err)
				return
			}
			continue
		}
		failures = 0
		p.dispatchPage(log, lanes, &position, out.Records)
		iterator = out.NextShardIterator
		if iterator == nil {
			if err := lanes.waitPending(0); err != nil {
				return
			}
			log.Debug("shard closed and read to its end")
			if p.shardFinished != nil {
				p.shardFinished(shardID)
			}
			select {
			case rediscover <- struct{}{}:
			default:
			}
			return
		}
		if len(out.Records) == 0 {
			if sleep(ctx, p.cfg.PollInterval) != nil {
				return
			}
		}
	}
}

// errShardGone means the shard has expired out of the stream (24 hours
// after it closed); there is nothing left to read in it.
var errShardGone = errors.New("shard no longer exists")

// stopReading logs why a reader stops early, unless the poller is stopping.
func (p *Poller) stopReading(ctx context.Context, log *slog.Logger, err error) {
	if ctx.Err() != nil {
		return
	}
	if errors.Is(err, errShardGone) {
		log.Info("shard no longer exists; its children are read next")
		return
	}
	log.Error("stopped reading shard", "error", err)
}

// shardPosition is how far a shard has been read.
type shardPosition struct {
	streamARN, shardID string
	// lastSequence is the sequence number of the last record handled
	// (delivered, given up on, or filtered out); empty before the first.
	lastSequence string
	// skipThrough, when set, is a sequence number at or before which
	// records were handled already. A read that restarts at TRIM_HORIZON
	// skips them, so that only a real loss of data changes what the handler
	// sees.
	skipThrough string
}

// restartAtTrimHorizon makes the next iterator start at the oldest record
// the shard still has.
func (s *shardPosition) restartAtTrimHorizon() {
	if sequenceAfter(s.lastSequence, s.skipThrough) {
		s.skipThrough = s.lastSequence
	}
	s.lastSequence = ""
}

// shardIterator returns an iterator after the last record handled, or at
// the shard's oldest record when none has been. It retries failures other
// than the shard having gone, until ctx is done.
func (p *Poller) shardIterator(ctx context.Context, log *slog.Logger, position *shardPosition) (*string, error) {
	failures := 0
	for {
		in := &dynamodbstreams.GetShardIteratorInput{
			StreamArn:         aws.String(position.streamARN),
			ShardId:           aws.String(position.shardID),
			ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
		}
		if position.lastSequence != "" {
			in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
			in.SequenceNumber = aws.String(position.lastSequence)
		}
		out, err := p.streams.GetShardIterator(ctx, in)
		if err == nil {
			return out.ShardIterator, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var notFound *types.ResourceNotFoundException
		var trimmed *types.TrimmedDataAccessException
		switch {
		case errors.As(err, &notFound):
			return nil, fmt.Errorf("get %s iterator for shard %s: %w: %w", in.ShardIteratorType, position.shardID, errShardGone, err)
		case errors.As(err, &trimmed) && position.lastSequence != "":
			log.Warn("records after the last one handled were trimmed from the stream; continuing at the oldest record left", "after", position.lastSequence)
			position.restartAtTrimHorizon()
		default:
			failures++
			log.Warn("cannot get a shard iterator; trying again", "type", in.ShardIteratorType, "error", err)
			if err := sleep(ctx, errorBackoff(p.cfg.PollInterval, failures)); err != nil {
				return nil, err
			}
		}
	}
}

// readAheadLimit is how many records a reader may have read and not yet
// delivered when it reads the next page: none without ReadAhead.
func (p *Poller) readAheadLimit() int {
	if !p.cfg.ReadAhead {
		return 0
	}
	return readAheadBatches * p.cfg.BatchSize * p.cfg.ParallelizationFactor
}

// dispatchPage converts and filters the records of one GetRecords page and
// queues them on their lanes, in order. The page counts as handled from
// then on: its records will be delivered (or given up on) before the
// reader stops, unless the poller is stopping, and a new iterator starts
// after them.
func (p *Poller) dispatchPage(log *slog.Logger, lanes *lanes, position *shardPosition, page []types.Record) {
	selected := make([]events.DynamoDBEventRecord, 0, len(page))
	for _, raw := range page {
		record, err := eventRecord(position.streamARN, raw)
		if err != nil {
			// Lambda never sends a record it cannot represent; the closest
			// faithful behaviour is to leave it out, loudly.
			log.Error("cannot convert stream record; skipping it", "error", err)
			continue
		}
		if position.skipThrough != "" && !sequenceAfter(record.Change.SequenceNumber, position.skipThrough) {
			continue
		}
		if p.cfg.Filter != nil && !p.cfg.Filter(record) {
			continue
		}
		selected = append(selected, record)
	}
	lanes.enqueue(selected, p.laneOf)
	if n := len(page); n > 0 && page[n-1].Dynamodb != nil && page[n-1].Dynamodb.SequenceNumber != nil {
		position.lastSequence = *page[n-1].Dynamodb.SequenceNumber
	}
}

// laneOf is the lane of a record: with a ParallelizationFactor of n, the
// hash of its partition key modulo n, so that one key's records always
// share a lane and keep their order, as the mapping keeps them.
func (p *Poller) laneOf(r events.DynamoDBEventRecord) int {
	n := p.cfg.ParallelizationFactor
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(partitionValue(r.Change.Keys[p.partitionKey])))
	return int(h.Sum32() % uint32(n))
}

// lanes are a shard's delivery lanes: ParallelizationFactor goroutines,
// each delivering the records queued for it in order, batch after batch,
// in batches of at most BatchSize.
type lanes struct {
	mu sync.Mutex
	// changed is broadcast when records are queued, when a batch is done,
	// and when the poller stops.
	changed *sync.Cond
	queues  [][]events.DynamoDBEventRecord
	// pending counts the records queued or being delivered.
	pending int
	// stopped is set when ctx is done or the reader is done; lanes then
	// take no further batch.
	stopped bool
	// ctx is the poller's; its end stops the lanes (through stop's
	// AfterFunc) and is the error waitPending returns then.
	ctx context.Context
	// done tells when every lane's goroutine has returned.
	done sync.WaitGroup
	// stop releases the AfterFunc that sets stopped when ctx ends.
	stop func() bool
}

// startLanes starts a shard's lanes; they run until ctx is done or a batch
// stops because of it.
func (p *Poller) startLanes(ctx context.Context, log *slog.Logger) *lanes {
	l := &lanes{queues: make([][]events.DynamoDBEventRecord, p.cfg.ParallelizationFactor), ctx: ctx}
	l.changed = sync.NewCond(&l.mu)
	l.stop = context.AfterFunc(ctx, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.stopped = true
		l.changed.Broadcast()
	})
	for i := range l.queues {
		l.done.Go(func() {
			l.run(i, func(batch []events.DynamoDBEventRecord) error { return p.deliverBatch(ctx, log, batch) }, p.cfg.BatchSize)
		})
	}
	return l
}

// run is lane i: it takes the oldest records queued for it, at most
// batchSize, delivers them, and repeats, until the poller stops.
func (l *lanes) run(i int, deliver func([]events.DynamoDBEventRecord) error, batchSize int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		for len(l.queues[i]) == 0 && !l.stopped {
			l.changed.Wait()
		}
		if l.stopped {
			return
		}
		n := min(len(l.queues[i]), batchSize)
		batch := slices.Clone(l.queues[i][:n])
		l.queues[i] = l.queues[i][n:]
		l.mu.Unlock()
		err := deliver(batch)
		l.mu.Lock()
		l.pending -= n
		l.changed.Broadcast()
		if err != nil {
			// Only a stopping poller ends a delivery with an error.
			l.stopped = true
			return
		}
	}
}

// enqueue queues records on their lanes, in order.
func (l *lanes) enqueue(records []events.DynamoDBEventRecord, laneOf func(events.DynamoDBEventRecord) int) {
	if len(records) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range records {
		i := laneOf(r)
		l.queues[i] = append(l.queues[i], r)
	}
	l.pending += len(records)
	l.changed.Broadcast()
}

// waitPending waits until at most limit records are queued or being
// delivered, and returns ctx's error if the poller stops first.
func (l *lanes) waitPending(limit int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.pending > limit && !l.stopped {
		l.changed.Wait()
	}
	if l.stopped {
		return cmp.Or(l.ctx.Err(), context.Canceled)
	}
	return nil
}

// close lets the lanes deliver what is queued, unless the poller stops
// first, then stops them and waits for them to return.
func (l *lanes) close() {
	_ = l.waitPending(0)
	l.mu.Lock()
	l.stopped = true
	l.changed.Broadcast()
	l.mu.Unlock()
	l.done.Wait()
	l.stop()
}

// partitionValue is a key attribute's value as the bytes lanes hash.
func partitionValue(v events.DynamoDBAttributeValue) string {
	switch v.DataType() {
	case events.DataTypeString:
		return v.String()
	case events.DataTypeNumber:
		return v.Number()
	case events.DataTypeBinary:
		return string(v.Binary())
	default:
		return ""
	}
}

// deliverBatch calls the handler with a batch and retries what it reports
// as failed, as the event source mapping does: after an error the whole
// batch again; after BatchItemFailures the earliest reported record and
// every later one. After MaxRetryAttempts retries the records still pending
// go to OnFailure and the shard moves on. It returns an error only when ctx
// is done.
func (p *Poller) deliverBatch(ctx context.Context, log *slog.Logger, batch []events.DynamoDBEventRecord) error {
	pending := batch
	for retries := 0; ; retries++ {
		retryFrom, reason := p.invoke(ctx, pending)
		if ctx.Err() != nil {
			// The handler most likely failed because we are stopping; that
			// is not the handler's failure, and there is nobody to retry.
			return ctx.Err()
		}
		if reason == nil {
			return nil
		}
		pending = pending[retryFrom:]
		batchLog := log.With(
			"records", len(pending),
			"firstSequenceNumber", pending[0].Change.SequenceNumber,
			"lastSequenceNumber", pending[len(pending)-1].Change.SequenceNumber,
			"retries", retries,
			"error", reason,
		)
		if p.cfg.MaxRetryAttempts >= 0 && retries >= p.cfg.MaxRetryAttempts {
			batchLog.Error("giving up on records after the maximum retry attempts; sending them to the on-failure destination")
			if p.cfg.OnFailure != nil {
				p.cfg.OnFailure(slices.Clone(pending), reason)
			}
			return nil
		}
		delay := retryDelay(p.cfg.RetryBackoff, retries)
		batchLog.Warn("handler failed; retrying", "in", delay)
		if err := sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// invoke calls the handler once. It returns nil when every record is done,
// or the index in records to retry from and why. A panic is a failure of
// the whole batch, as the Lambda runtime reports it.
func (p *Poller) invoke(ctx context.Context, records []events.DynamoDBEventRecord) (retryFrom int, reason error) {
	defer func() {
		if recovered := recover(); recovered != nil {
			retryFrom = 0
			reason = fmt.Errorf("handler panicked: %v\n%s", recovered, debug.Stack())
		}
	}()
	// The handler gets its own copy of the slice, so that nothing it does
	// to it changes what is retried.
	response, err := p.handler(ctx, events.DynamoDBEvent{Records: slices.Clone(records)})
	if err != nil {
		return 0, fmt.Errorf("handler returned an error: %w", err)
	}
	return earliestFailure(records, response.BatchItemFailures)
}

// earliestFailure interprets a partial batch response: the earliest
// reported record and all later ones are retried. An identifier that is
// empty or not a sequence number of the batch makes Lambda retry the whole
// batch, and so does it here.
func earliestFailure(records []events.DynamoDBEventRecord, failures []events.DynamoDBBatchItemFailure) (int, error) {
	if len(failures) == 0 {
		return 0, nil
	}
	index := make(map[string]int, len(records))
	for i, record := range records {
		index[record.Change.SequenceNumber] = i
	}
	earliest := len(records)
	for _, failure := range failures {
		i, ok := index[failure.ItemIdentifier]
		if !ok || failure.ItemIdentifier == "" {
			return 0, fmt.Errorf("handler reported item identifier %q, which is not a sequence number of the batch; retrying the whole batch", failure.ItemIdentifier)
		}
		earliest = min(earliest, i)
	}
	return earliest, fmt.Errorf("handler reported %d of %d records failed, the earliest being sequence number %s",
		len(failures), len(records), records[earliest].Change.SequenceNumber)
}

// retryDelay is the wait before retry number retries+1 of a batch.
func retryDelay(base time.Duration, retries int) time.Duration {
	return doubling(base, retries, maxRetryBackoff)
}

// errorBackoff is the wait after the given number (at least 1) of
// consecutive failed calls to DynamoDB Streams.
func errorBackoff(pollInterval time.Duration, failures int) time.Duration {
	return doubling(pollInterval, failures-1, maxErrorBackoff)
}

// doubling is base doubled the given number of times, at most limit.
func doubling(base time.Duration, times int, limit time.Duration) time.Duration {
	delay := base
	for range times {
		if delay >= limit/2 {
			return limit
		}
		delay *= 2
	}
	return min(delay, limit)
}

// sleep waits for d or until ctx is done, whichever comes first, and
// returns ctx's error in the second case.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// sequenceAfter reports whether sequence number a comes after b in a shard.
// Sequence numbers are decimal strings of varying length, too long for an
// integer, so they are compared by length first, ignoring leading zeros.
// Empty b is before everything.
func sequenceAfter(a, b string) bool {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

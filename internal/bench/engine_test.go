package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/sivchari/kumo"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// engine is a DynamoDB implementation the benchmarks run against. connect
// returns a client for it (with the options, such as a request counter),
// or skips tb when the engine is not available.
type engine struct {
	name    string
	connect func(tb testing.TB, opts ...func(*dynamodb.Options)) *dynamodb.Client
	// queryWalksTable is set for an engine whose Query reads every item of
	// the table, whatever its key condition: kumo evaluates the condition
	// on each item and sorts the matches (internal/service/dynamodb,
	// MemoryStorage.Query), so a page costs about a second per 100,000
	// items in the table. Listing at scale on it would measure only that.
	queryWalksTable bool
}

// engines are DynamoDB Local (Amazon's, out of process; DYNAMODB_ENDPOINT,
// which `make bench` sets) and kumo's DynamoDB (in process). kumo's gaps
// (transaction writes do not reach its stream; it accepts two actions on
// one item in a transaction) do not touch what is measured here: no
// benchmark reads the stream or sends such a transaction.
func engines() []engine {
	return []engine{
		{name: "dynamodb-local", connect: func(tb testing.TB, opts ...func(*dynamodb.Options)) *dynamodb.Client {
			return dynamotest.Client(tb, opts...)
		}},
		{name: "kumo", connect: func(tb testing.TB, opts ...func(*dynamodb.Options)) *dynamodb.Client {
			srv := kumo.NewServer()
			tb.Cleanup(srv.Close)
			return dynamodblocal.NewClient(srv.URL, opts...)
		}, queryWalksTable: true},
	}
}

// allTabs is every tab of the catalogue; the seeded businesses enable all.
func allTabs() team.Permissions {
	var p team.Permissions
	for _, t := range team.Catalogue() {
		p = append(p, t.ID)
	}
	return p
}

// fixture is one table on one engine, with the full path over it and a
// client for the bare requests. Every business in it is managed by
// owner@<business>.test.
type fixture struct {
	client *dynamodb.Client
	table  string
	store  *dynamo.Store
	api    http.Handler
	now    time.Time
	ids    team.ULIDSource
	seq    atomic.Int64 // makes names unique across rounds of a benchmark
	// floorSlots counts the email-budget slots the invite floor used; it
	// takes them from the top of the budget, the full path from the bottom,
	// so both always find theirs free.
	floorSlots atomic.Int64
	// seed writes items straight into the table (batchWrite, unless the
	// table is not DynamoDB's).
	seed func(tb testing.TB, items []map[string]types.AttributeValue)
}

// opsFixture is a fresh table holding business opsBusiness: opsUsers users
// and opsActivity activity records. Each operation gets its own, so that
// what one operation wrote does not weigh on the next (kumo's queries read
// every item of the table).
func opsFixture(tb testing.TB, client *dynamodb.Client) *fixture {
	tb.Helper()
	f := newFixture(tb, client)
	f.createBusiness(tb, opsBusiness, opsUsers)
	f.seedActivity(tb, opsBusiness, opsActivity)
	return f
}

func newFixture(tb testing.TB, client *dynamodb.Client) *fixture {
	tb.Helper()
	table := newTable(tb, client)
	store := dynamo.NewStore(client, table)
	api, err := lambdaenv.NewAPI(client, lambdaenv.RouteSettings{TableName: table,
		// Benchmarks invite far more than an hour's default budget in one
		// business; they set their own (SPEC §4) so they measure the
		// operation, budget slot included, rather than the refusal.
		InviteRate: lambdaenv.MaxInviteRate}, slog.New(slog.NewTextHandler(io.Discard, nil)), phone.Normalizer{})
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{
		client: client, table: table, store: store,
		api: api.Mux(),
		now: team.SystemClock{}.Now(),
	}
	f.seed = f.batchWrite
	return f
}

// newTable creates a table with the production definition but no stream,
// and deletes it when tb ends. DynamoDB Local keeps every stream record (of
// every table, deleted ones included) and slows down every request as they
// pile up: about 40 ms a request once 100,000 records are kept, against 2 ms
// on a fresh one. Seeding 100,000 users would leave the benchmarks
// measuring that. Nothing measured here reads the stream, and DynamoDB's
// request path does not depend on it.
func newTable(tb testing.TB, client *dynamodb.Client) string {
	tb.Helper()
	ctx := context.Background()
	def := dynamo.TableDefinition("bench-" + rand.Text())
	def.StreamSpecification = nil
	if _, err := client.CreateTable(ctx, def); err != nil {
		tb.Fatalf("create table: %v", err)
	}
	tb.Cleanup(func() { _, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: def.TableName}) })
	if err := dynamodb.NewTableExistsWaiter(client).Wait(ctx, &dynamodb.DescribeTableInput{TableName: def.TableName}, time.Minute); err != nil {
		tb.Fatalf("wait for table: %v", err)
	}
	return *def.TableName
}

func ownerOf(businessID string) string { return "owner@" + businessID + ".test" }

// seededEmail is the email of the i-th seeded user of a business; the
// numbers are zero-padded so the users list in seeding order.
func seededEmail(businessID string, i int) string {
	return fmt.Sprintf("user%06d@%s.test", i, businessID)
}

// next returns a number not returned before by this fixture.
func (f *fixture) next() int64 { return f.seq.Add(1) }

// createBusiness adds a business with every tab enabled, its owner, and
// users seeded users.
func (f *fixture) createBusiness(tb testing.TB, id string, users int) {
	tb.Helper()
	owner := team.User{BusinessID: team.BusinessID(id), ID: "usr_owner_" + id, Email: ownerOf(id), FirstName: "Olive", LastName: "Owner",
		Permissions: allTabs(), CreatedAt: f.now, UpdatedAt: f.now, Version: 1}
	if err := f.store.CreateBusiness(context.Background(), team.Business{ID: team.BusinessID(id), Name: id, Tabs: allTabs(), CreatedAt: f.now}, owner); err != nil {
		tb.Fatalf("create business %s: %v", id, err)
	}
	f.seedUsers(tb, id, users, func(i int) string { return seededEmail(id, i) })
}

// user is a seeded user as the benchmarks make them: a full record, as an
// invite through the API would leave it.
func (f *fixture) user(businessID, email string) team.User {
	return team.User{BusinessID: team.BusinessID(businessID), ID: "usr_" + email, Email: email, FirstName: "Ann", LastName: "Lee", Phone: "+14155550100",
		PhoneDisplay: "+1 415-555-0100", Permissions: team.Permissions{team.TabCRM}, InvitedBy: ownerOf(businessID),
		CreatedAt: f.now, UpdatedAt: f.now, Version: 1}
}

// seedUsers writes n users straight into the table with BatchWriteItem,
// not through the API: the point is a large team, fast.
func (f *fixture) seedUsers(tb testing.TB, businessID string, n int, email func(i int) string) {
	tb.Helper()
	f.seedExact(tb, n, func(i int) team.User { return f.user(businessID, email(i)) })
}

// seedExact writes n users as user(i) makes them straight into the table,
// each with the user list's index items the store keeps for it
// (dynamo.UserIndexItems), so that every list finds them as it would find
// users invited through the API.
func (f *fixture) seedExact(tb testing.TB, n int, user func(i int) team.User) {
	tb.Helper()
	items := make([]map[string]types.AttributeValue, 0, 4*n)
	for i := range n {
		u := user(i)
		item, err := dynamo.UserItem(u)
		if err != nil {
			tb.Fatal(err)
		}
		index, err := dynamo.UserIndexItems(u)
		if err != nil {
			tb.Fatal(err)
		}
		items = append(append(items, item), index...)
	}
	f.seed(tb, items)
}

// seedActivity writes n activity records of a business straight into the
// table. Every other record is about the tracked user (historyUserID), the
// rest about one user each: the tracked user has a history of n/2.
func (f *fixture) seedActivity(tb testing.TB, businessID string, n int) {
	tb.Helper()
	f.seedHistory(tb, businessID, n, 2)
}

// historyUserID is the id of the user whose history the benchmarks read.
const historyUserID = "usr_01JD0000000000000000000000"

// seedHistory writes n activity records of a business straight into the
// table: every stride-th is about the tracked user (historyUserID), spread
// evenly over time, and each of the others about a user of its own.
func (f *fixture) seedHistory(tb testing.TB, businessID string, n, stride int) {
	tb.Helper()
	items := make([]map[string]types.AttributeValue, n)
	for i := range n {
		u := f.user(businessID, seededEmail(businessID, i))
		id := fmt.Sprintf("usr_%026d", i+1)
		if i%stride == 0 {
			id = historyUserID
		}
		item, err := dynamo.ActivityItem(team.Activity{
			ID: f.ids.NewID(f.now.Add(time.Duration(i) * time.Millisecond)), BusinessID: team.BusinessID(businessID),
			Type: team.ActivityUserAdded, Actor: ownerOf(businessID), At: f.now,
			Target:  team.Person{ID: id, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone},
			Changes: team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: u.Permissions}},
		})
		if err != nil {
			tb.Fatal(err)
		}
		items[i] = item
	}
	f.seed(tb, items)
}

// Seeding: BatchWriteItem takes at most 25 items a request. DynamoDB Local
// answers one batch at a time per connection, so several batches are sent
// at once; more workers than this do not help on a small machine.
const (
	batchSize   = 25
	seedWorkers = 8
)

// batchWrite puts the items with BatchWriteItem from several goroutines,
// resending whatever comes back unprocessed.
func (f *fixture) batchWrite(tb testing.TB, items []map[string]types.AttributeValue) {
	tb.Helper()
	batches := make(chan []map[string]types.AttributeValue)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	for range seedWorkers {
		wg.Go(func() {
			for batch := range batches {
				if err := f.writeBatch(batch); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for start := 0; start < len(items); start += batchSize {
		batches <- items[start:min(start+batchSize, len(items))]
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		tb.Fatalf("seed: %v", firstErr)
	}
}

func (f *fixture) writeBatch(batch []map[string]types.AttributeValue) error {
	requests := make([]types.WriteRequest, len(batch))
	for i, item := range batch {
		requests[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: item}}
	}
	pending := map[string][]types.WriteRequest{f.table: requests}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt == 10 {
			return fmt.Errorf("%d items still unprocessed after %d attempts", len(pending[f.table]), attempt)
		}
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
		}
		out, err := f.client.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: pending})
		if err != nil {
			return err
		}
		pending = out.UnprocessedItems
	}
	return nil
}

// serve sends one request through the full path, as the caller, and fails
// unless it gets the status wanted.
func (f *fixture) serve(caller, method, path, body string, want int) error {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req = req.WithContext(httpapi.WithCaller(req.Context(), caller))
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	if rec.Code != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, rec.Code, want, rec.Body)
	}
	return nil
}

package bench

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// BenchmarkOwnCost runs every operation through the full path over a
// DynamoDB that answers at once from memory, with no SDK and no engine:
// what remains is the cost of our own code (routing, decoding, the rules,
// the store's requests and records, JSON), free of any engine's noise. It
// is where the allocations of BenchmarkOperation's full path come from,
// less the SDK's, and the benchmark to profile our code with.
func BenchmarkOwnCost(b *testing.B) {
	for _, op := range operations(opsBusiness) {
		// A fixture of its own, as in BenchmarkOperation: the memory grows
		// with every write, and a list would sort what the others wrote.
		f := memoryFixture(b)
		if err := op.full(b, f, 1)(0); err != nil { // fills the memory's page cache
			b.Fatal(err)
		}
		b.Run("op="+op.name, func(b *testing.B) {
			step := op.full(b, f, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := step(i); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// memoryFixture is a fixture whose API runs over a memoryClient holding
// business opsBusiness, as opsFixture seeds it. The fixture's own client is
// nil: nothing measured here sends a request.
func memoryFixture(tb testing.TB) *fixture {
	mem := &memoryClient{items: map[string]map[string]types.AttributeValue{}}
	store := dynamo.NewStore(mem, "memory")
	api, err := lambdaenv.NewAPI(mem, lambdaenv.RouteSettings{TableName: "memory", InviteRate: lambdaenv.MaxInviteRate}, slog.New(slog.NewTextHandler(io.Discard, nil)), phone.Normalizer{})
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{table: "memory", store: store, now: team.SystemClock{}.Now(), seed: mem.put, api: api.Mux()}
	f.createBusiness(tb, opsBusiness, opsUsers)
	f.seedActivity(tb, opsBusiness, opsActivity)
	return f
}

// memoryClient is a DynamoDB that keeps items in a map. It applies the
// puts and deletes of a transaction without checking any condition (the
// benchmarks never send one that should fail) and ignores its updates (the
// user count's and the email budget's shards, which no measured answer
// depends on: every slot stays free), and keeps each query's answer until
// the next write.
type memoryClient struct {
	mu    sync.RWMutex
	items map[string]map[string]types.AttributeValue // by PK and SK
	pages map[string][]map[string]types.AttributeValue
}

var _ dynamo.Client = (*memoryClient)(nil)

func itemKey(item map[string]types.AttributeValue) string {
	s := func(name string) string {
		v, _ := item[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	return s(dynamo.AttrPK) + "\x00" + s(dynamo.AttrSK)
}

func (m *memoryClient) put(_ testing.TB, items []map[string]types.AttributeValue) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, item := range items {
		m.items[itemKey(item)] = item
	}
	m.pages = nil
}

func (m *memoryClient) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return &dynamodb.GetItemOutput{Item: m.items[itemKey(in.Key)]}, nil
}

func (m *memoryClient) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	// The store's key conditions, as the expression builder writes them:
	// "#0 = :0" on the partition key, then begins_with(#1, :1) or
	// #1 BETWEEN :1 AND :2 on the sort key.
	str := func(name string) string {
		v, _ := in.ExpressionAttributeValues[name].(*types.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	pk, lo, hi := str(":0"), str(":1"), str(":2")
	between := strings.Contains(aws.ToString(in.KeyConditionExpression), "BETWEEN")
	inRange := func(sk string) bool {
		if between {
			return lo <= sk && sk <= hi
		}
		return strings.HasPrefix(sk, lo)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pages == nil {
		m.pages = map[string][]map[string]types.AttributeValue{}
	}
	// A query of an index names its partition-key attribute (the one
	// that is not the sort key); one of the table, the table's.
	pkAttr := dynamo.AttrPK
	if in.IndexName != nil {
		for _, name := range in.ExpressionAttributeNames {
			if name != dynamo.AttrSK {
				pkAttr = name
			}
		}
	}
	pageKey := aws.ToString(in.IndexName) + "\x00" + pk + "\x00" + lo + "\x00" + hi
	page, ok := m.pages[pageKey]
	if !ok {
		for _, item := range m.items {
			v, _ := item[pkAttr].(*types.AttributeValueMemberS)
			sk, _ := item[dynamo.AttrSK].(*types.AttributeValueMemberS)
			if v != nil && sk != nil && v.Value == pk && inRange(sk.Value) {
				page = append(page, item)
			}
		}
		slices.SortFunc(page, func(a, b map[string]types.AttributeValue) int { return strings.Compare(itemKey(a), itemKey(b)) })
		if in.ScanIndexForward != nil && !*in.ScanIndexForward {
			slices.Reverse(page)
		}
		m.pages[pageKey] = page
	}
	if in.ExclusiveStartKey != nil {
		return nil, errors.New("memoryClient: pages after the first are not supported")
	}
	if in.Limit != nil {
		page = page[:min(len(page), int(*in.Limit))]
	}
	return &dynamodb.QueryOutput{Items: page}, nil
}

// BatchGetItem answers from the map; the own-cost benchmarks list the
// default page only, which reads no index items, so this is for
// completeness of the Client.
func (m *memoryClient) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		for _, k := range ka.Keys {
			if item, ok := m.items[itemKey(k)]; ok {
				out.Responses[table] = append(out.Responses[table], item)
			}
		}
	}
	return out, nil
}

func (m *memoryClient) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, item := range in.TransactItems {
		switch {
		case item.Put != nil:
			m.items[itemKey(item.Put.Item)] = item.Put.Item
		case item.Delete != nil:
			delete(m.items, itemKey(item.Delete.Key))
		}
	}
	m.pages = nil
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

package dynamo_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/phone"
	"github.com/businessapp/usermanagement/internal/team"
)

// recordingClient is a dynamo.Client that writes down every request it
// passes on: the operation, the table or index, the keys and key values,
// the consistency and the expressions, with the target's email replaced by
// a placeholder, so that requests about two different targets compare
// equal when they are the same requests.
type recordingClient struct {
	next dynamo.Client

	mu     sync.Mutex
	target string
	calls  []string
}

var _ dynamo.Client = (*recordingClient)(nil)

func (r *recordingClient) start(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target, r.calls = target, nil
}

// take returns the requests since start, sorted: reads issued
// concurrently may reach the client in either order.
func (r *recordingClient) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.calls)
	sort.Strings(out)
	return out
}

func (r *recordingClient) add(parts ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	call := strings.Join(parts, " ")
	if r.target != "" {
		call = strings.ReplaceAll(call, r.target, "{target}")
	}
	r.calls = append(r.calls, call)
}

func attrString(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return "S:" + v.Value
	case *types.AttributeValueMemberN:
		return "N:" + v.Value
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprintf("BOOL:%t", v.Value)
	default:
		return fmt.Sprintf("%T", v)
	}
}

func attrsString(m map[string]types.AttributeValue) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+attrString(v))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func namesString(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func (r *recordingClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	r.add("GetItem", aws.ToString(in.TableName), attrsString(in.Key), fmt.Sprintf("consistent=%t", aws.ToBool(in.ConsistentRead)),
		"projection="+aws.ToString(in.ProjectionExpression))
	return r.next.GetItem(ctx, in, opts...)
}

func (r *recordingClient) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	var tables []string
	for table, ka := range in.RequestItems {
		var keys []string
		for _, k := range ka.Keys {
			keys = append(keys, attrsString(k))
		}
		sort.Strings(keys)
		tables = append(tables, table+" "+strings.Join(keys, ";")+fmt.Sprintf(" consistent=%t projection=%s", aws.ToBool(ka.ConsistentRead), aws.ToString(ka.ProjectionExpression)))
	}
	sort.Strings(tables)
	r.add("BatchGetItem", strings.Join(tables, " "))
	return r.next.BatchGetItem(ctx, in, opts...)
}

func (r *recordingClient) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	r.add("Query", aws.ToString(in.TableName), "index="+aws.ToString(in.IndexName), aws.ToString(in.KeyConditionExpression),
		namesString(in.ExpressionAttributeNames), attrsString(in.ExpressionAttributeValues),
		fmt.Sprintf("consistent=%t limit=%d", aws.ToBool(in.ConsistentRead), aws.ToInt32(in.Limit)))
	return r.next.Query(ctx, in, opts...)
}

func (r *recordingClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	var items []string
	for _, it := range in.TransactItems {
		switch {
		case it.ConditionCheck != nil:
			items = append(items, "ConditionCheck"+attrsString(it.ConditionCheck.Key))
		case it.Put != nil:
			items = append(items, "Put"+attrsString(map[string]types.AttributeValue{"PK": it.Put.Item["PK"], "SK": it.Put.Item["SK"]}))
		case it.Delete != nil:
			items = append(items, "Delete"+attrsString(it.Delete.Key))
		case it.Update != nil:
			items = append(items, "Update"+attrsString(it.Update.Key))
		}
	}
	r.add("TransactWriteItems", strings.Join(items, ";"))
	return r.next.TransactWriteItems(ctx, in, opts...)
}

// TestStrangersCannotTellWhetherATargetExists is issue 10's timing leak
// closed, shown on the requests themselves (SPEC I5, issue 10 item 6): a
// caller who may not act on users of the business makes, for every route
// on /users/{email}, the same DynamoDB requests (operations, keys up to the
// target's email, consistency) and gets the same 403 whether the target
// exists or not, because the caller is decided on before the target is
// looked at. The routes come from the route table, so a new one on
// /users/{email} (such as resending an invitation) is covered as it lands.
func TestStrangersCannotTellWhetherATargetExists(t *testing.T) {
	rec := &recordingClient{next: dynamotest.Client(t)}
	store := dynamo.NewStore(rec, dynamotest.NewTableWithoutStream(t, rec.next.(*dynamodb.Client)))
	ctx := context.Background()
	now := time.Now().UTC()
	for _, b := range []struct{ id, owner string }{{"acme", "owner@acme.test"}, {"globex", "boss@globex.test"}} {
		if err := store.CreateBusiness(ctx, team.Business{ID: team.BusinessID(b.id), Name: b.id, Tabs: allTabs, CreatedAt: now},
			team.User{BusinessID: team.BusinessID(b.id), ID: "usr_" + b.id, Email: b.owner, Permissions: allTabs, CreatedAt: now, UpdatedAt: now, Version: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []team.User{
		{Email: "ann@acme.test", Permissions: allTabs},
		{Email: "mia@acme.test", Permissions: team.Permissions{team.TabCRM}},
	} {
		u.BusinessID, u.ID, u.CreatedAt, u.UpdatedAt, u.Version = "acme", "usr_"+strings.Split(u.Email, "@")[0], now, now, 1
		if err := store.Apply(ctx, team.Mutation{BusinessID: "acme", Actor: "owner@acme.test", After: &u,
			Activity: team.Activity{ID: team.ULIDSource{}.NewID(now), BusinessID: "acme", Type: team.ActivityUserAdded, Actor: "owner@acme.test", At: now}}); err != nil {
			t.Fatal(err)
		}
	}
	api := httpapi.New(team.NewService(store, team.SystemClock{}, team.ULIDSource{}, phone.Normalizer{}), slog.New(slog.NewTextHandler(io.Discard, nil))).Mux()

	bodies := map[string][]string{
		httpapi.OpUpdateContact:  {`{"firstName":"Eve"}`, `{"email":"eve@evil.test"}`},
		httpapi.OpSetPermissions: {`{"permissions":["users","administration"]}`},
	}
	callers := map[string]string{
		"another business's owner": "boss@globex.test",
		"nobody's user":            "eve@evil.test",
		"a member without users":   "mia@acme.test",
	}
	const existing, missing = "ann@acme.test", "nobody@acme.test"
	covered := 0
	for _, route := range httpapi.Routes() {
		if !strings.Contains(route.Path, "{email}") {
			continue
		}
		covered++
		routeBodies := bodies[route.Operation]
		if routeBodies == nil {
			routeBodies = []string{""}
		}
		for _, body := range routeBodies {
			for who, caller := range callers {
				t.Run(fmt.Sprintf("%s %s as %s", route.Operation, body, who), func(t *testing.T) {
					var seen [][]string
					for _, target := range []string{existing, missing} {
						path := strings.NewReplacer("{businessId}", "acme", "{email}", target).Replace(route.Path)
						req := httptest.NewRequest(route.Method, path, strings.NewReader(body))
						req = req.WithContext(httpapi.WithCaller(req.Context(), caller))
						w := httptest.NewRecorder()
						rec.start(target)
						api.ServeHTTP(w, req)
						calls := rec.take()
						if w.Code != 403 || !strings.Contains(w.Body.String(), `"forbidden"`) {
							t.Errorf("%s %s: %d %s, want 403 forbidden", route.Method, path, w.Code, w.Body)
						}
						if strings.Contains(w.Body.String(), target) {
							t.Errorf("the answer names the target: %s", w.Body)
						}
						if len(calls) == 0 {
							t.Errorf("%s %s made no DynamoDB request; the caller must be read", route.Method, path)
						}
						for _, c := range calls {
							if !strings.HasPrefix(c, "GetItem ") && !strings.HasPrefix(c, "BatchGetItem ") && !strings.HasPrefix(c, "Query ") {
								t.Errorf("a refused request wrote: %s", c)
							}
						}
						seen = append(seen, calls)
					}
					if diff := cmp.Diff(seen[0], seen[1]); diff != "" {
						t.Errorf("DynamoDB requests differ with the target existing and missing (-existing +missing):\n%s", diff)
					}
				})
			}
		}
	}
	if covered < 4 {
		t.Errorf("only %d routes on /users/{email}; expected at least get, patch, put and delete", covered)
	}
}

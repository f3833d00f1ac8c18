package provisioning_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/provisioning"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/samtemplate"
)

// recordingClient records the IAM actions the provisioning function's
// DynamoDB requests need: a transaction is authorised item by item.
type recordingClient struct {
	*dynamodb.Client
	mu      sync.Mutex
	actions map[string]bool
}

func (c *recordingClient) add(actions ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range actions {
		c.actions["dynamodb:"+a] = true
	}
}

func (c *recordingClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.add("GetItem")
	return c.Client.GetItem(ctx, in, opts...)
}

func (c *recordingClient) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.add("BatchGetItem")
	return c.Client.BatchGetItem(ctx, in, opts...)
}

func (c *recordingClient) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c.add("Query")
	return c.Client.Query(ctx, in, opts...)
}

func (c *recordingClient) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			c.add("PutItem")
		case it.Update != nil:
			c.add("UpdateItem")
		case it.Delete != nil:
			c.add("DeleteItem")
		case it.ConditionCheck != nil:
			c.add("ConditionCheckItem")
		}
	}
	return c.Client.TransactWriteItems(ctx, in, opts...)
}

// TestProvisioningCallsExactlyItsActions drives the provisioning handler
// through its paths on DynamoDB Local (a new business, a tab change, an
// owner change, a deletion and a later re-provisioning), records the
// DynamoDB actions its requests need, and requires the template's role of
// ProvisionBusinessFunction to allow exactly those: derived from the code,
// not from a list.
func TestProvisioningCallsExactlyItsActions(t *testing.T) {
	db := dynamotest.Client(t)
	rec := &recordingClient{Client: db, actions: map[string]bool{}}
	h, err := provisioning.NewHandler(lambdaenv.ProvisionSettings{TableName: dynamotest.NewTable(t, db)}, rec, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	upsert := func(rev int, owner string, tabs ...string) provision.Event {
		d, _ := json.Marshal(map[string]any{"businessId": "acme", "name": "Acme", "enabledTabs": tabs, "owner": map[string]string{"email": owner}, "revision": rev})
		return provision.Event{Source: provision.DefaultSource, DetailType: provision.DetailTypeUpserted, Detail: d}
	}
	for _, ev := range []provision.Event{
		upsert(1, "ann@acme.test", "users"),
		upsert(2, "ann@acme.test", "users", "crm"),
		upsert(3, "bob@acme.test", "users", "crm"),
		upsert(3, "bob@acme.test", "users", "crm"),
		{Source: provision.DefaultSource, DetailType: provision.DetailTypeDeleted, Detail: json.RawMessage(`{"businessId":"acme","revision":4}`)},
		upsert(5, "cy@acme.test", "users"),
	} {
		if _, err := h.Handle(context.Background(), ev); err != nil {
			t.Fatalf("%s %s: %v", ev.DetailType, ev.Detail, err)
		}
	}
	var called []string
	for a := range rec.actions {
		called = append(called, a)
	}
	sort.Strings(called)

	tmpl, err := samtemplate.Load(filepath.Join("..", "..", "..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(fns, func(f samtemplate.Function) bool { return f.LogicalID == "ProvisionBusinessFunction" })
	if i < 0 {
		t.Fatal("template.yaml has no ProvisionBusinessFunction")
	}
	var allowed []string
	for _, p := range fns[i].Policies {
		for _, st := range p.Statements {
			for _, a := range st.Actions {
				if st.Effect == "Allow" && strings.HasPrefix(strings.ToLower(a), "dynamodb:") {
					allowed = append(allowed, a)
				}
			}
		}
	}
	sort.Strings(allowed)
	if !slices.Equal(called, allowed) {
		t.Errorf("ProvisionBusinessFunction's role allows %q; its code calls %q", allowed, called)
	}
}

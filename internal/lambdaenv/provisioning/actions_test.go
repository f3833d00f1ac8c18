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
	"testing"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/provisioning"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/samtemplate"
)

// TestProvisioningCallsExactlyItsActions drives the provisioning handler
// through its paths on DynamoDB Local (a new business, a tab change, an
// owner change, a deletion and a later re-provisioning), records the
// DynamoDB actions its requests need, and requires the template's role of
// ProvisionBusinessFunction to allow exactly those: derived from the code,
// not from a list.
func TestProvisioningCallsExactlyItsActions(t *testing.T) {
	const function = "ProvisionBusinessFunction"
	rec := &dynamotest.Actions{}
	db := dynamotest.Client(t, rec.Install)
	table := dynamotest.NewTable(t, db)
	rec.Attribute(function)
	h, err := provisioning.NewHandler(lambdaenv.ProvisionSettings{TableName: table}, db, slog.New(slog.NewJSONHandler(io.Discard, nil)))
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
	called := rec.Of(function)

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

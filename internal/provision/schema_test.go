package provision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/businessapp/usermanagement/internal/memstore"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// schemaDir is docs/events/platform seen from this package's directory.
var schemaDir = filepath.Join("..", "..", "docs", "events", "platform")

func compileSchema(t *testing.T, detailType string) *jsonschema.Schema {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(schemaDir, detailType+".schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := doc.(map[string]any)["$id"].(string)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(id, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemasMatchTheHandler validates sample details against the schemas
// in docs/events/platform and hands the same samples to the provisioning
// handler: what the schema accepts the handler applies, and what it
// refuses the handler refuses as invalid_request (which ends in the
// dead-letter queue rather than being retried forever).
func TestSchemasMatchTheHandler(t *testing.T) {
	tests := []struct {
		name, detailType, detail string
		valid                    bool
	}{
		{"full upsert", provision.DetailTypeUpserted,
			`{"businessId":"acme","name":"Acme Inc.","enabledTabs":["home","crm","administration","users"],"owner":{"email":"ann@acme.example","firstName":"Ann","lastName":"Lee"},"revision":1}`, true},
		{"upsert without names", provision.DetailTypeUpserted,
			`{"businessId":"acme_2","name":"","enabledTabs":["users"],"owner":{"email":"Bob@Acme.Example"},"revision":42}`, true},
		{"upsert with members the service does not know", provision.DetailTypeUpserted,
			`{"businessId":"acme-3","name":"Acme","enabledTabs":["users"],"owner":{"email":"c@acme.example","locale":"fr"},"revision":3,"plan":"pro"}`, true},
		{"upsert without revision", provision.DetailTypeUpserted,
			`{"businessId":"acme","name":"Acme","enabledTabs":["users"],"owner":{"email":"a@acme.example"}}`, false},
		{"upsert with revision 0", provision.DetailTypeUpserted,
			`{"businessId":"acme","name":"Acme","enabledTabs":["users"],"owner":{"email":"a@acme.example"},"revision":0}`, false},
		{"upsert without the users tab", provision.DetailTypeUpserted,
			`{"businessId":"acme","name":"Acme","enabledTabs":["crm"],"owner":{"email":"a@acme.example"},"revision":1}`, false},
		{"upsert with an unknown tab", provision.DetailTypeUpserted,
			`{"businessId":"acme","name":"Acme","enabledTabs":["users","payroll"],"owner":{"email":"a@acme.example"},"revision":1}`, false},
		{"upsert with a bad email", provision.DetailTypeUpserted,
			`{"businessId":"acme","name":"Acme","enabledTabs":["users"],"owner":{"email":"not an email"},"revision":1}`, false},
		{"upsert with a bad business id", provision.DetailTypeUpserted,
			`{"businessId":"acme/x","name":"Acme","enabledTabs":["users"],"owner":{"email":"a@acme.example"},"revision":1}`, false},
		{"delete", provision.DetailTypeDeleted, `{"businessId":"gone","revision":7}`, true},
		{"delete without revision", provision.DetailTypeDeleted, `{"businessId":"gone"}`, false},
		{"delete with a bad business id", provision.DetailTypeDeleted, `{"businessId":"","revision":7}`, false},
	}
	schemas := map[string]*jsonschema.Schema{
		provision.DetailTypeUpserted: compileSchema(t, provision.DetailTypeUpserted),
		provision.DetailTypeDeleted:  compileSchema(t, provision.DetailTypeDeleted),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tt.detail)))
			if err != nil {
				t.Fatal(err)
			}
			if err := schemas[tt.detailType].Validate(inst); (err == nil) != tt.valid {
				t.Errorf("schema validation: %v, want valid = %v", err, tt.valid)
			}
			h := provision.NewHandler(provision.NewService(memstore.New(), team.SystemClock{}, team.ULIDSource{}, 0,
				slog.New(slog.NewJSONHandler(io.Discard, nil))), "")
			out, err := h.Handle(context.Background(), provision.Event{Source: provision.DefaultSource, DetailType: tt.detailType, Detail: json.RawMessage(tt.detail)})
			var te *team.Error
			switch {
			case tt.valid && (err != nil || out != provision.Applied):
				t.Errorf("handler: %s, %v; want applied", out, err)
			case !tt.valid && !(errors.As(err, &te) && te.Code == team.CodeInvalidRequest):
				t.Errorf("handler: %s, %v; want invalid_request", out, err)
			}
		})
	}
	// The examples the schemas carry are valid too.
	for dt, s := range schemas {
		data, _ := os.ReadFile(filepath.Join(schemaDir, dt+".schema.json"))
		var doc struct{ Examples []json.RawMessage }
		if err := json.Unmarshal(data, &doc); err != nil || len(doc.Examples) == 0 {
			t.Errorf("%s.schema.json has no examples (%v)", dt, err)
		}
		for _, ex := range doc.Examples {
			inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(ex))
			if err := s.Validate(inst); err != nil {
				t.Errorf("%s example %s: %v", dt, ex, err)
			}
		}
	}
}

// TestHandlerRefusesOtherEvents checks the envelope: another source, an
// unknown detail-type or a missing detail are invalid_request.
func TestHandlerRefusesOtherEvents(t *testing.T) {
	h := provision.NewHandler(provision.NewService(memstore.New(), team.SystemClock{}, team.ULIDSource{}, 0,
		slog.New(slog.NewJSONHandler(io.Discard, nil))), "example.platform")
	for _, ev := range []provision.Event{
		{Source: provision.DefaultSource, DetailType: provision.DetailTypeDeleted, Detail: json.RawMessage(`{"businessId":"a","revision":1}`)},
		{Source: "example.platform", DetailType: "BusinessRenamed", Detail: json.RawMessage(`{"businessId":"a","revision":1}`)},
		{Source: "example.platform", DetailType: provision.DetailTypeDeleted},
		{Source: "example.platform", DetailType: provision.DetailTypeDeleted, Detail: json.RawMessage(`[1]`)},
	} {
		_, err := h.Handle(context.Background(), ev)
		var te *team.Error
		if !errors.As(err, &te) || te.Code != team.CodeInvalidRequest {
			t.Errorf("Handle(%s, %s, %s) = %v, want invalid_request", ev.Source, ev.DetailType, ev.Detail, err)
		}
	}
}

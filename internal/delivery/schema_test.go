package delivery_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/team"
)

// The JSON Schemas of docs/events are the contract with subscribers (SPEC
// §5). These tests hold them to the code both ways: every detail EventOf
// builds is valid against the schema of its detail-type, and documents that
// break the contract are rejected, so the schemas are known to constrain.

// schemaDir is docs/events seen from this package's directory.
var schemaDir = filepath.Join("..", "..", "docs", "events")

// schemaIDBase is the prefix of every schema's $id.
const schemaIDBase = "https://raw.githubusercontent.com/businessapp/usermanagement/main/docs/events/"

// schemaDetailTypes are the detail-types a schema must exist for: those of
// the downstream table's rows, one for every activity type.
func schemaDetailTypes() []delivery.DetailType {
	var out []delivery.DetailType
	for _, typ := range team.ActivityTypes() {
		if row, ok := delivery.DownstreamOf(typ); ok && !slices.Contains(out, row.DetailType) {
			out = append(out, row.DetailType)
		}
	}
	return out
}

// schemaFiles maps each detail-type to the schema file its row names.
func schemaFiles() map[delivery.DetailType]string {
	out := map[delivery.DetailType]string{}
	for _, typ := range team.ActivityTypes() {
		if row, ok := delivery.DownstreamOf(typ); ok {
			out[row.DetailType] = row.Schema
		}
	}
	return out
}

type schemaSet struct {
	byType map[delivery.DetailType]*jsonschema.Schema
	docs   map[delivery.DetailType]map[string]any
}

// loadSchemas compiles the schema file the downstream table names for
// every detail-type, with format assertions on (email, date-time), so that
// the schemas are themselves checked against the draft 2020-12 meta-schema.
var loadSchemas = sync.OnceValues(func() (*schemaSet, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	out := &schemaSet{
		byType: map[delivery.DetailType]*jsonschema.Schema{},
		docs:   map[delivery.DetailType]map[string]any{},
	}
	files := schemaFiles()
	for _, dt := range schemaDetailTypes() {
		name := files[dt]
		data, err := os.ReadFile(filepath.Join(schemaDir, name))
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return nil, errors.New(name + ": " + err.Error())
		}
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, errors.New(name + " is not a JSON object")
		}
		id, _ := m["$id"].(string)
		if want := schemaIDBase + name; id != want {
			return nil, errors.New(name + ": $id is " + id + ", want " + want)
		}
		if s, _ := m["$schema"].(string); s != "https://json-schema.org/draft/2020-12/schema" {
			return nil, errors.New(name + ": $schema is " + s + ", want draft 2020-12")
		}
		// Registered under its $id, so nothing is fetched over the network.
		if err := c.AddResource(id, doc); err != nil {
			return nil, err
		}
		sch, err := c.Compile(id)
		if err != nil {
			return nil, err
		}
		out.byType[dt] = sch
		out.docs[dt] = m
	}
	return out, nil
})

func schemasForTest(t *testing.T) *schemaSet {
	t.Helper()
	s, err := loadSchemas()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaInstance parses JSON as the validator expects it.
func schemaInstance(t *testing.T, data []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
	return v
}

// TestSchemaFiles checks that docs/events holds exactly one schema per
// detail-type, named after it, and that each names its detail-type in its
// title.
func TestSchemaFiles(t *testing.T) {
	s := schemasForTest(t)
	entries, err := os.ReadDir(schemaDir)
	if err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".schema.json") {
			got = append(got, e.Name())
		}
	}
	files := schemaFiles()
	for _, dt := range schemaDetailTypes() {
		if files[dt] != string(dt)+".schema.json" {
			t.Errorf("the schema of %s is %q, want %s.schema.json", dt, files[dt], dt)
		}
		want = append(want, files[dt])
		title, _ := s.docs[dt]["title"].(string)
		if !strings.HasPrefix(title, string(dt)) {
			t.Errorf("%s.schema.json has title %q, which does not name its detail-type", dt, title)
		}
		if d, _ := s.docs[dt]["description"].(string); d == "" {
			t.Errorf("%s.schema.json has no description", dt)
		}
	}
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("docs/events has schemas %q, want one per detail-type %q", got, want)
	}
}

// TestSchemaTabsAreTheCatalogue checks that the tab-id enum of every schema
// is the tab catalogue, in display order, so that a new tab cannot reach
// subscribers without the contract saying so.
func TestSchemaTabsAreTheCatalogue(t *testing.T) {
	s := schemasForTest(t)
	var want []any
	for _, tab := range team.Catalogue() {
		want = append(want, string(tab.ID))
	}
	for _, dt := range schemaDetailTypes() {
		defs, _ := s.docs[dt]["$defs"].(map[string]any)
		tabID, _ := defs["tabId"].(map[string]any)
		got, _ := tabID["enum"].([]any)
		if !slices.Equal(got, want) {
			t.Errorf("%s.schema.json: $defs.tabId.enum is %v, want the catalogue %v", dt, got, want)
		}
	}
}

func schemaPerson(email, first, last, phone string) team.Person {
	return team.Person{ID: "usr_01JDQ5Y8G1" + strings.ToUpper(strings.NewReplacer("@", "", ".", "").Replace(email)), Email: email, FirstName: first, LastName: last, Phone: phone}
}

// schemaActivities are activity records of every type and variation the
// service records.
func schemaActivities() map[string]team.Activity {
	at := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	base := func(id string, typ team.ActivityType, target team.Person, ch team.Changes) team.Activity {
		return team.Activity{
			ID: id, BusinessID: "biz_demo-1", Type: typ, Actor: "owner@demo.test", ActorID: "usr_01JDQ5Y8G0OWNER",
			Target: target, At: at, Changes: ch,
		}
	}
	full := schemaPerson("ann@example.com", "Ann", "Lee", "+14155550100")
	bare := schemaPerson("bob@example.com", "", "", "")
	all := team.PermissionsOf([]string{"home", "conversations", "crm", "store", "automations", "reports", "administration", "users"})
	longName := strings.Repeat("é", team.MaxNameLength)
	return map[string]team.Activity{
		"added with names and phone": base("01JDQ5Y8G1X9T3V7C2B4N6M8P0", team.ActivityUserAdded, full,
			team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: team.Permissions{team.TabConversations, team.TabCRM}}}),
		"added without names or phone": base("01JDQ5Y8G1X9T3V7C2B4N6M8P1", team.ActivityUserAdded, bare,
			team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: all}}),
		"added with no permissions": base("01JDQ5Y8G1X9T3V7C2B4N6M8P2", team.ActivityUserAdded, bare,
			team.Changes{Permissions: &team.PermissionsChange{From: nil, To: team.Permissions{}}}),
		"ownership handed on": base("01JDQ5Y8G1X9T3V7C2B4N6M8PD", team.ActivityOwnerTransferred, full, team.Changes{}),
		"activated": func() team.Activity {
			a := base("01JDQ5Y8G1X9T3V7C2B4N6M8PE", team.ActivityUserActivated, full, team.Changes{})
			a.Actor, a.ActorID = full.Email, full.ID
			return a
		}(),
		"invitation resent": func() team.Activity {
			a := base("01JDQ5Y8G1X9T3V7C2B4N6M8PF", team.ActivityInvitationResent, bare, team.Changes{})
			a.InvitationExpiresAt = at.Add(14 * 24 * time.Hour)
			return a
		}(),
		"removed with names and phone":   base("01JDQ5Y8G1X9T3V7C2B4N6M8P3", team.ActivityUserRemoved, full, team.Changes{}),
		"removed without names or phone": base("01JDQ5Y8G1X9T3V7C2B4N6M8P4", team.ActivityUserRemoved, bare, team.Changes{}),
		"permissions granted": base("01JDQ5Y8G1X9T3V7C2B4N6M8P5", team.ActivityPermissionsChanged, full,
			team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{team.TabConversations}, To: team.Permissions{team.TabConversations, team.TabCRM, team.TabUsers}}}),
		"permissions all revoked": base("01JDQ5Y8G1X9T3V7C2B4N6M8P6", team.ActivityPermissionsChanged, bare,
			team.Changes{Permissions: &team.PermissionsChange{From: all, To: team.Permissions{}}}),
		"permissions from none (nil)": base("01JDQ5Y8G1X9T3V7C2B4N6M8P7", team.ActivityPermissionsChanged, bare,
			team.Changes{Permissions: &team.PermissionsChange{From: nil, To: team.Permissions{team.TabHome}}}),
		"email changed": base("01JDQ5Y8G1X9T3V7C2B4N6M8P8", team.ActivityContactChanged, full,
			team.Changes{Email: &team.FieldChange{From: "ann.old@example.com", To: "ann@example.com"}}),
		"first name set": base("01JDQ5Y8G1X9T3V7C2B4N6M8P9", team.ActivityContactChanged, schemaPerson("bob@example.com", "Bob", "", ""),
			team.Changes{FirstName: &team.FieldChange{From: "", To: "Bob"}}),
		"phone cleared": base("01JDQ5Y8G1X9T3V7C2B4N6M8PA", team.ActivityContactChanged, schemaPerson("ann@example.com", "Ann", "Lee", ""),
			team.Changes{Phone: &team.FieldChange{From: "+14155550100", To: ""}}),
		"last name of the longest length": base("01JDQ5Y8G1X9T3V7C2B4N6M8PB", team.ActivityContactChanged, schemaPerson("ann@example.com", "Ann", longName, ""),
			team.Changes{LastName: &team.FieldChange{From: "Lee", To: longName}}),
		"several contact fields": base("01JDQ5Y8G1X9T3V7C2B4N6M8PC", team.ActivityContactChanged, schemaPerson("zoe.ng@example.org", "Zoë", "Ng", "+442071838750"),
			team.Changes{
				Email:     &team.FieldChange{From: "zoe@example.org", To: "zoe.ng@example.org"},
				FirstName: &team.FieldChange{From: "Zoe", To: "Zoë"},
				LastName:  &team.FieldChange{From: "", To: "Ng"},
				Phone:     &team.FieldChange{From: "+14155550100", To: "+442071838750"},
			}),
		// Provisioning (SPEC §7): the platform, which is not a user, is
		// the actor.
		"owner added by the platform": func() team.Activity {
			a := base("01JDQ5Y8G1X9T3V7C2B4N6M8PF", team.ActivityUserAdded, full,
				team.Changes{Permissions: &team.PermissionsChange{From: team.Permissions{}, To: all}})
			a.Actor, a.ActorID = provision.PlatformActorEmail, provision.PlatformActorID
			return a
		}(),
		"ownership moved by the platform": func() team.Activity {
			a := base("01JDQ5Y8G1X9T3V7C2B4N6M8PG", team.ActivityOwnerTransferred, full, team.Changes{})
			a.Actor, a.ActorID = provision.PlatformActorEmail, provision.PlatformActorID
			return a
		}(),
		"self edit by the user": func() team.Activity {
			a := base("01JDQ5Y8G1X9T3V7C2B4N6M8PD", team.ActivityContactChanged, full,
				team.Changes{FirstName: &team.FieldChange{From: "Anne", To: "Ann"}, LastName: &team.FieldChange{From: "Li", To: "Lee"}})
			a.Actor, a.ActorID = "ann@example.com", full.ID
			return a
		}(),
	}
}

// TestEventDetailsMatchSchemas checks that the detail of every event EventOf
// builds is valid against the schema of its detail-type.
func TestEventDetailsMatchSchemas(t *testing.T) {
	s := schemasForTest(t)
	seen := map[delivery.DetailType]bool{}
	acts := schemaActivities()
	names := make([]string, 0, len(acts))
	for name := range acts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a := acts[name]
		t.Run(name, func(t *testing.T) {
			ev, err := delivery.EventOf(a)
			if err != nil {
				t.Fatal(err)
			}
			row, _ := delivery.DownstreamOf(a.Type)
			if ev.DetailType != row.DetailType {
				t.Fatalf("EventOf(%s) has detail-type %s, want %s, as the downstream table says", a.Type, ev.DetailType, row.DetailType)
			}
			seen[ev.DetailType] = true
			data, err := json.Marshal(ev.Detail)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.byType[ev.DetailType].Validate(schemaInstance(t, data)); err != nil {
				t.Errorf("detail of %s is not valid against %s.schema.json:\n%s\n%v", a.Type, ev.DetailType, data, err)
			}
		})
	}
	for _, dt := range schemaDetailTypes() {
		if !seen[dt] {
			t.Errorf("no activity produced a %s event; the test covers every detail-type", dt)
		}
	}
	for _, typ := range team.ActivityTypes() {
		if !slices.ContainsFunc(slices.Collect(maps.Values(acts)), func(a team.Activity) bool { return a.Type == typ }) {
			t.Errorf("schemaActivities has no %s activity; add the variations it records", typ)
		}
	}
}

// schemaBase returns the detail of the named activity as a JSON value to
// mutate.
func schemaBase(t *testing.T, name string) (delivery.DetailType, map[string]any) {
	t.Helper()
	a, ok := schemaActivities()[name]
	if !ok {
		t.Fatalf("no activity %q", name)
	}
	ev, err := delivery.EventOf(a)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(ev.Detail)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return ev.DetailType, m
}

// TestSchemasRejectInvalidDetails checks that the schemas refuse documents
// that break the contract. Each case changes one thing of a detail that is
// valid, and the schema must reject it with an error at the place named.
func TestSchemasRejectInvalidDetails(t *testing.T) {
	s := schemasForTest(t)
	type mutation struct {
		base   string              // a key of schemaActivities
		as     delivery.DetailType // the schema to validate against, if not the base's own
		change func(doc map[string]any)
		at     string // where the error must be (a JSON pointer)
	}
	// set and del change the member at a JSON pointer of the document.
	set := func(path string, v any) func(map[string]any) {
		return func(doc map[string]any) { parent, key := schemaParent(t, doc, path); parent[key] = v }
	}
	del := func(path string) func(map[string]any) {
		return func(doc map[string]any) { parent, key := schemaParent(t, doc, path); delete(parent, key) }
	}
	same := func(map[string]any) {}
	const (
		added   = "added with names and phone"
		removed = "removed with names and phone"
		bare    = "removed without names or phone"
		perms   = "permissions granted"
		email   = "email changed"
		phone   = "phone cleared"
		first   = "first name set"
	)
	cases := map[string]mutation{
		"missing eventId":                {base: removed, change: del("/eventId"), at: "/"},
		"empty eventId":                  {base: removed, change: set("/eventId", ""), at: "/eventId"},
		"eventId a number":               {base: removed, change: set("/eventId", 42), at: "/eventId"},
		"missing occurredAt":             {base: added, change: del("/occurredAt"), at: "/"},
		"occurredAt not RFC 3339":        {base: added, change: set("/occurredAt", "27/11/2026 10:00"), at: "/occurredAt"},
		"occurredAt without zone":        {base: added, change: set("/occurredAt", "2026-11-27T10:00:00"), at: "/occurredAt"},
		"businessId with a slash":        {base: added, change: set("/businessId", "biz/other"), at: "/businessId"},
		"businessId empty":               {base: added, change: set("/businessId", ""), at: "/businessId"},
		"missing actor":                  {base: added, change: del("/actor"), at: "/"},
		"actor email not an email":       {base: added, change: set("/actor/email", "owner.demo.test"), at: "/actor/email"},
		"actor email with two @":         {base: added, change: set("/actor/email", "owner@demo@test"), at: "/actor/email"},
		"extra property on actor":        {base: added, change: set("/actor/name", "Owner"), at: "/actor"},
		"extra top-level property":       {base: added, change: set("/type", "user.added"), at: "/"},
		"user email not an email":        {base: removed, change: set("/user/email", "ann at example.com"), at: "/user/email"},
		"user email null":                {base: removed, change: set("/user/email", nil), at: "/user/email"},
		"user firstName missing":         {base: bare, change: del("/user/firstName"), at: "/user"},
		"user phone missing":             {base: bare, change: del("/user/phone"), at: "/user"},
		"user lastName empty string":     {base: bare, change: set("/user/lastName", ""), at: "/user/lastName"},
		"user firstName too long":        {base: removed, change: set("/user/firstName", strings.Repeat("a", team.MaxNameLength+1)), at: "/user/firstName"},
		"user phone national format":     {base: removed, change: set("/user/phone", "(415) 555-0100"), at: "/user/phone"},
		"user phone with spaces":         {base: removed, change: set("/user/phone", "+1 415 555 0100"), at: "/user/phone"},
		"user phone with 00 prefix":      {base: removed, change: set("/user/phone", "0014155550100"), at: "/user/phone"},
		"user phone too long":            {base: removed, change: set("/user/phone", "+1415555010012345"), at: "/user/phone"},
		"user phone a number":            {base: removed, change: set("/user/phone", 14155550100), at: "/user/phone"},
		"extra property on user":         {base: removed, change: set("/user/profileImageUrl", nil), at: "/user"},
		"missing changes":                {base: removed, change: del("/changes"), at: "/"},
		"removed with permission change": {base: removed, change: set("/changes/permissions", map[string]any{"from": []any{"crm"}, "to": []any{}}), at: "/changes"},
		"removed with contact change":    {base: removed, change: set("/changes/phone", map[string]any{"from": "+14155550100", "to": nil}), at: "/changes"},
		"added without permissions":      {base: added, change: del("/changes/permissions"), at: "/changes"},
		"added from non-empty":           {base: added, change: set("/changes/permissions/from", []any{"crm"}), at: "/changes/permissions/from"},
		"added with a contact change":    {base: added, change: set("/changes/firstName", map[string]any{"from": nil, "to": "Ann"}), at: "/changes"},
		"added with an unknown tab":      {base: added, change: set("/changes/permissions/to", []any{"crm", "billing"}), at: "/changes/permissions/to/1"},
		"permissions with wrong tab id":  {base: perms, change: set("/changes/permissions/to", []any{"CRM"}), at: "/changes/permissions/to/0"},
		"permissions with a repeat":      {base: perms, change: set("/changes/permissions/to", []any{"crm", "crm"}), at: "/changes/permissions/to"},
		"permissions to null":            {base: perms, change: set("/changes/permissions/to", nil), at: "/changes/permissions/to"},
		"permissions without from":       {base: perms, change: del("/changes/permissions/from"), at: "/changes/permissions"},
		"permissions extra property":     {base: perms, change: set("/changes/permissions/added", []any{"crm"}), at: "/changes/permissions"},
		"permissions missing":            {base: perms, change: del("/changes/permissions"), at: "/changes"},
		"permissions with email change":  {base: perms, change: set("/changes/email", map[string]any{"from": "a@example.com", "to": "b@example.com"}), at: "/changes"},
		"contact with no change":         {base: email, change: del("/changes/email"), at: "/changes"},
		"contact with unknown field":     {base: email, change: set("/changes/nickname", map[string]any{"from": nil, "to": "Annie"}), at: "/changes"},
		"contact with permissions":       {base: email, change: set("/changes/permissions", map[string]any{"from": []any{}, "to": []any{"crm"}}), at: "/changes"},
		"contact email to null":          {base: email, change: set("/changes/email/to", nil), at: "/changes/email/to"},
		"contact email not an email":     {base: email, change: set("/changes/email/to", "ann@"), at: "/changes/email/to"},
		"contact email without from":     {base: email, change: del("/changes/email/from"), at: "/changes/email"},
		"contact phone not E.164":        {base: phone, change: set("/changes/phone/from", "415-555-0100"), at: "/changes/phone/from"},
		"contact name change to empty":   {base: first, change: set("/changes/firstName/from", ""), at: "/changes/firstName/from"},
		"contact change extra property":  {base: first, change: set("/changes/firstName/at", "2026-11-27T10:00:00Z"), at: "/changes/firstName"},
		"contact change as a string":     {base: first, change: set("/changes/firstName", "Bob"), at: "/changes/firstName"},
		"added detail as a removal":      {base: added, as: delivery.DetailUserRemoved, change: same, at: "/changes"},
		"removal detail as a change":     {base: removed, as: delivery.DetailUserPermissionsChanged, change: same, at: "/changes"},
		"contact detail as permissions":  {base: email, as: delivery.DetailUserPermissionsChanged, change: same, at: "/changes"},
		"permissions detail as contact":  {base: perms, as: delivery.DetailUserContactInfoChanged, change: same, at: "/changes"},
		"permissions detail as addition": {base: perms, as: delivery.DetailUserAdded, change: same, at: "/changes/permissions/from"},
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			dt, doc := schemaBase(t, tc.base)
			// The unchanged document is valid, so a rejection is the
			// change's doing.
			before, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.byType[dt].Validate(schemaInstance(t, before)); err != nil {
				t.Fatalf("the base detail %q is not valid against %s.schema.json: %v", tc.base, dt, err)
			}
			if tc.as != "" {
				dt = tc.as
			}
			tc.change(doc)
			after, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			err = s.byType[dt].Validate(schemaInstance(t, after))
			if err == nil {
				t.Fatalf("%s.schema.json accepted:\n%s", dt, after)
			}
			var verr *jsonschema.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Validate returned %T, not a *jsonschema.ValidationError: %v", err, err)
			}
			if locs := schemaLeafLocations(verr); !slices.Contains(locs, tc.at) {
				t.Errorf("%s.schema.json rejected the document at %q, want an error at %q:\n%s\n%v", dt, locs, tc.at, after, err)
			}
		})
	}
}

// schemaParent returns the object holding the member at a JSON pointer of
// doc, and the member's name.
func schemaParent(t *testing.T, doc map[string]any, path string) (map[string]any, string) {
	t.Helper()
	keys := strings.Split(strings.TrimPrefix(path, "/"), "/")
	obj := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := obj[k].(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not an object", path, k)
		}
		obj = next
	}
	return obj, keys[len(keys)-1]
}

// schemaLeafLocations returns the instance locations of the innermost
// errors of a validation error, as JSON pointers ("/" for the document).
func schemaLeafLocations(err *jsonschema.ValidationError) []string {
	if len(err.Causes) == 0 {
		return []string{"/" + strings.Join(err.InstanceLocation, "/")}
	}
	var out []string
	for _, c := range err.Causes {
		out = append(out, schemaLeafLocations(c)...)
	}
	return out
}

// schemaJSONBlock matches a fenced ```json block of a Markdown file.
var schemaJSONBlock = regexp.MustCompile("(?ms)^```json\n(.*?)^```")

// TestReadmeExamples checks that the example events of docs/events/README.md
// are valid: the envelope has the source and a detail-type of SPEC §5, and
// the detail is valid against the schema of its detail-type. Every
// detail-type has an example.
func TestReadmeExamples(t *testing.T) {
	s := schemasForTest(t)
	data, err := os.ReadFile(filepath.Join(schemaDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[delivery.DetailType]bool{}
	for i, m := range schemaJSONBlock.FindAllSubmatch(data, -1) {
		var envelope struct {
			Version    string          `json:"version"`
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Resources  []string        `json:"resources"`
			Detail     json.RawMessage `json:"detail"`
		}
		dec := json.NewDecoder(bytes.NewReader(m[1]))
		if err := dec.Decode(&envelope); err != nil {
			t.Errorf("example %d: %v\n%s", i+1, err, m[1])
			continue
		}
		dt := delivery.DetailType(envelope.DetailType)
		sch, ok := s.byType[dt]
		if !ok {
			t.Errorf("example %d has detail-type %q, which is not one of %q", i+1, dt, schemaDetailTypes())
			continue
		}
		seen[dt] = true
		if envelope.Source != delivery.Source || envelope.Version != "0" || envelope.Resources == nil {
			t.Errorf("example %d (%s) has source %q, version %q, resources %v; want %q, \"0\", []", i+1, dt, envelope.Source, envelope.Version, envelope.Resources, delivery.Source)
		}
		if err := sch.Validate(schemaInstance(t, envelope.Detail)); err != nil {
			t.Errorf("example %d: its detail is not valid against %s.schema.json: %v", i+1, dt, err)
		}
		// The example must also read as the Detail the code writes.
		var d delivery.Detail
		strict := json.NewDecoder(bytes.NewReader(envelope.Detail))
		strict.DisallowUnknownFields()
		if err := strict.Decode(&d); err != nil {
			t.Errorf("example %d (%s): its detail does not decode as delivery.Detail: %v", i+1, dt, err)
		}
	}
	for _, dt := range schemaDetailTypes() {
		if !seen[dt] {
			t.Errorf("docs/events/README.md has no example %s event", dt)
		}
	}
}

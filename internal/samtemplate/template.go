// Package samtemplate reads template.yaml, the AWS SAM template the service is
// deployed with. SAM and CloudFormation are not run in CI, so the package's
// tests hold the template to the code instead: the route table, the function
// folders, the Makefile, the environment the code reads, the table definition
// and least-privilege policies.
//
// The template is read as CloudFormation reads it: short-form intrinsic
// functions (!Ref, !GetAtt, !Sub, !If and the rest) become their long form
// ({"Ref": ...}, {"Fn::GetAtt": [...]}, ...), and SAM's Globals are applied
// to each function the way the SAM transform applies them.
package samtemplate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Resource types the checks read.
const (
	TypeFunction = "AWS::Serverless::Function"
	TypeHTTPAPI  = "AWS::Serverless::HttpApi"
	TypeTable    = "AWS::DynamoDB::Table"
	TypeRole     = "AWS::IAM::Role"
)

// Template is a parsed SAM template. Values are nil, bool, int, float64,
// string, []any or map[string]any, with intrinsic functions in long form.
type Template struct {
	// Parameters maps each parameter name to its declaration.
	Parameters map[string]any
	// Conditions maps each condition name to its expression.
	Conditions map[string]any
	// Globals maps a resource kind (Function, HttpApi, ...) to its globals.
	Globals map[string]any
	// Resources maps each logical id to its resource.
	Resources map[string]Resource
	// Outputs maps each output name to its declaration.
	Outputs map[string]any
}

// Resource is one entry of the Resources section.
type Resource struct {
	LogicalID string
	// Line is where the logical id is written in the template.
	Line       int
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	// Condition names the condition the resource is created under; empty
	// when it is always created.
	Condition string
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("samtemplate: %s: %w", path, err)
	}
	return t, nil
}

// Parse parses a template.
func Parse(data []byte) (*Template, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	// A second document would be ignored by a reader that stops at the
	// first, so it is more likely a mistake than intended.
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the template is not a mapping", root.Line)
	}
	top, err := value(root)
	if err != nil {
		return nil, err
	}
	sections := top.(map[string]any)
	t := &Template{Resources: map[string]Resource{}}
	for name, dst := range map[string]*map[string]any{"Parameters": &t.Parameters, "Conditions": &t.Conditions, "Globals": &t.Globals, "Outputs": &t.Outputs} {
		m, ok := sections[name].(map[string]any)
		if sections[name] != nil && !ok {
			return nil, fmt.Errorf("%s is not a mapping", name)
		}
		*dst = m
	}
	resources := child(root, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, errors.New("the template has no Resources mapping")
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		key := resources.Content[i]
		r, err := resource(key.Value, key.Line, sections["Resources"].(map[string]any)[key.Value])
		if err != nil {
			return nil, err
		}
		t.Resources[key.Value] = r
	}
	return t, nil
}

func resource(id string, line int, v any) (Resource, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Resource{}, fmt.Errorf("line %d: resource %s is not a mapping", line, id)
	}
	r := Resource{LogicalID: id, Line: line}
	if r.Type, ok = m["Type"].(string); !ok {
		return Resource{}, fmt.Errorf("line %d: resource %s has no Type", line, id)
	}
	if c, ok := m["Condition"]; ok {
		if r.Condition, ok = c.(string); !ok || r.Condition == "" {
			return Resource{}, fmt.Errorf("line %d: Condition of resource %s is not a condition name", line, id)
		}
	}
	for name, dst := range map[string]*map[string]any{"Properties": &r.Properties, "Metadata": &r.Metadata} {
		p, ok := m[name].(map[string]any)
		if m[name] != nil && !ok {
			return Resource{}, fmt.Errorf("line %d: %s of resource %s is not a mapping", line, name, id)
		}
		*dst = p
	}
	return r, nil
}

// OfType returns the resources of one type, ordered by logical id.
func (t *Template) OfType(typ string) []Resource {
	var out []Resource
	for _, r := range t.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// child returns the value node of key in mapping node n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// shortForms are CloudFormation's short-form tags and the long-form keys
// they stand for. Any other local tag is an error, as it is to CloudFormation.
var shortForms = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!Base64":       "Fn::Base64",
	"!Cidr":         "Fn::Cidr",
	"!FindInMap":    "Fn::FindInMap",
	"!GetAtt":       "Fn::GetAtt",
	"!GetAZs":       "Fn::GetAZs",
	"!ImportValue":  "Fn::ImportValue",
	"!Join":         "Fn::Join",
	"!Length":       "Fn::Length",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!Sub":          "Fn::Sub",
	"!ToJsonString": "Fn::ToJsonString",
	"!Transform":    "Fn::Transform",
	"!And":          "Fn::And",
	"!Equals":       "Fn::Equals",
	"!If":           "Fn::If",
	"!Not":          "Fn::Not",
	"!Or":           "Fn::Or",
}

// value converts a YAML node to a plain Go value, turning short-form tags
// into long-form intrinsic functions.
func value(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return value(n.Alias)
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, nil
		}
		return value(n.Content[0])
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn, ok := shortForms[n.Tag]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		// The tag is stripped so the node decodes as the plain value the
		// function takes.
		untagged := *n
		untagged.Tag = ""
		untagged.Style &^= yaml.TaggedStyle
		arg, err := value(&untagged)
		if err != nil {
			return nil, err
		}
		// !GetAtt Resource.Attribute is the scalar spelling of
		// {"Fn::GetAtt": [Resource, Attribute]}; attributes may contain dots.
		if s, ok := arg.(string); ok && fn == "Fn::GetAtt" {
			res, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("line %d: !GetAtt %s has no attribute", n.Line, s)
			}
			arg = []any{res, attr}
		}
		return map[string]any{fn: arg}, nil
	}
	switch n.Kind {
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key is not a scalar", k.Line)
			}
			// A repeated key would silently hide the first one (a second
			// function under the same logical id, say).
			if first, dup := seen[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %s repeats the key of line %d", k.Line, k.Value, first)
			}
			seen[k.Value] = k.Line
			v, err := value(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// Lookup follows keys through nested mappings.
func Lookup(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// Ref returns the name a {"Ref": name} value refers to.
func Ref(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return "", false
	}
	name, ok := m["Ref"].(string)
	return name, ok
}

// GetAtt returns the logical id and attribute of a {"Fn::GetAtt": [id,
// attribute]} value.
func GetAtt(v any) (logicalID, attribute string, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", "", false
	}
	args, isList := m["Fn::GetAtt"].([]any)
	if !isList || len(args) != 2 {
		return "", "", false
	}
	logicalID, ok1 := args[0].(string)
	attribute, ok2 := args[1].(string)
	return logicalID, attribute, ok1 && ok2
}

// isIntrinsic reports whether v is an intrinsic function call, which SAM's
// Globals treat as a single value rather than a mapping to merge.
func isIntrinsic(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// mergeGlobals applies globals to a resource's properties as the SAM
// transform does: mappings merge key by key (the resource's entry wins),
// lists are concatenated (globals first), and any other value of the
// resource replaces the global one.
func mergeGlobals(global, local any) any {
	if local == nil {
		return global
	}
	if global == nil {
		return local
	}
	gm, gok := global.(map[string]any)
	lm, lok := local.(map[string]any)
	if gok && lok && !isIntrinsic(gm) && !isIntrinsic(lm) {
		out := make(map[string]any, len(gm)+len(lm))
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			out[k] = mergeGlobals(gm[k], v)
		}
		return out
	}
	gl, gok := global.([]any)
	ll, lok := local.([]any)
	if gok && lok {
		return append(append([]any{}, gl...), ll...)
	}
	return local
}

// Function is an AWS::Serverless::Function with Globals.Function applied.
type Function struct {
	LogicalID string
	Line      int
	// Properties are the function's properties merged with the globals.
	Properties map[string]any
	// CodeURI is CodeUri when it is a plain string: the folder sam build
	// runs the Makefile in.
	CodeURI string
	// BuildMethod is Metadata.BuildMethod.
	BuildMethod   string
	Runtime       string
	Handler       string
	Architectures []string
	// Environment holds Environment.Variables.
	Environment map[string]any
	// Events holds the events of type HttpApi, ordered by name.
	Events []HTTPAPIEvent
	// OtherEvents names the events of any other type.
	OtherEvents []string
	// RoleID is the logical id of the template's AWS::IAM::Role that the
	// function's Role property names (!GetAtt <id>.Arn); empty when SAM
	// creates the role.
	RoleID string
	// Policies are what the function's role is allowed: its Policies
	// property when SAM creates the role, or the inline policies and managed
	// policies of the role its Role property names.
	Policies []Policy
}

// HTTPAPIEvent is an event of type HttpApi: a route of an HTTP API.
type HTTPAPIEvent struct {
	Name   string
	Method string
	Path   string
	// APIID is ApiId, the HTTP API the route belongs to (nil: SAM's
	// implicit API).
	APIID any
	// Auth is the event's Auth, which can override the API's default
	// authorizer.
	Auth map[string]any
}

// Policy is one entry of a function's Policies.
type Policy struct {
	// Statements are the statements of an inline policy document.
	Statements []Statement
	// Opaque describes an entry whose actions the template does not spell
	// out: a managed policy, a SAM policy template, or an intrinsic
	// function. It is empty for an inline policy document.
	Opaque string
}

// Statement is one statement of an inline policy document.
type Statement struct {
	Effect     string
	Actions    []string
	NotActions []string
	// Resources are the statement's resources (strings or intrinsic
	// functions).
	Resources []any
}

// Functions returns the template's functions, ordered by logical id.
func (t *Template) Functions() ([]Function, error) {
	var out []Function
	for _, r := range t.OfType(TypeFunction) {
		f, err := t.function(r)
		if err != nil {
			return nil, fmt.Errorf("samtemplate: %s (line %d): %w", r.LogicalID, r.Line, err)
		}
		out = append(out, f)
	}
	return out, nil
}

func (t *Template) function(r Resource) (Function, error) {
	props, _ := mergeGlobals(t.Globals["Function"], r.Properties).(map[string]any)
	f := Function{LogicalID: r.LogicalID, Line: r.Line, Properties: props}
	f.CodeURI, _ = props["CodeUri"].(string)
	f.BuildMethod, _ = r.Metadata["BuildMethod"].(string)
	f.Runtime, _ = props["Runtime"].(string)
	f.Handler, _ = props["Handler"].(string)
	archs, _ := props["Architectures"].([]any)
	for _, a := range archs {
		s, ok := a.(string)
		if !ok {
			return Function{}, errors.New("Architectures holds a value that is not a string")
		}
		f.Architectures = append(f.Architectures, s)
	}
	if env, _ := Lookup(props, "Environment", "Variables"); env != nil {
		var ok bool
		if f.Environment, ok = env.(map[string]any); !ok {
			return Function{}, errors.New("Environment.Variables is not a mapping")
		}
	}
	events, ok := props["Events"].(map[string]any)
	if props["Events"] != nil && !ok {
		return Function{}, errors.New("Events is not a mapping")
	}
	for name, e := range events {
		typ, _ := Lookup(e, "Type")
		if typ != "HttpApi" {
			f.OtherEvents = append(f.OtherEvents, name)
			continue
		}
		ev := HTTPAPIEvent{Name: name}
		p, _ := Lookup(e, "Properties")
		pm, _ := p.(map[string]any)
		var okMethod, okPath bool
		ev.Method, okMethod = pm["Method"].(string)
		ev.Path, okPath = pm["Path"].(string)
		if (pm["Method"] != nil && !okMethod) || (pm["Path"] != nil && !okPath) {
			return Function{}, fmt.Errorf("event %s: Method and Path must be plain strings", name)
		}
		ev.APIID = pm["ApiId"]
		ev.Auth, _ = pm["Auth"].(map[string]any)
		f.Events = append(f.Events, ev)
	}
	sort.Slice(f.Events, func(i, j int) bool { return f.Events[i].Name < f.Events[j].Name })
	sort.Strings(f.OtherEvents)
	var err error
	if role := props["Role"]; role != nil {
		// SAM ignores Policies when the function names its role, so
		// statements written there would grant nothing.
		if props["Policies"] != nil {
			return Function{}, errors.New("Policies is set together with Role, and SAM ignores it")
		}
		id, attr, ok := GetAtt(role)
		r, found := t.Resources[id]
		if !ok || attr != "Arn" || !found || r.Type != TypeRole {
			// A role from elsewhere: what it allows is not in the template.
			f.Policies = []Policy{{Opaque: fmt.Sprintf("role %v, which is not !GetAtt <%s>.Arn of this template", role, TypeRole)}}
			return f, nil
		}
		f.RoleID = id
		if f.Policies, err = rolePolicies(r); err != nil {
			return Function{}, fmt.Errorf("role %s: %w", id, err)
		}
		return f, nil
	}
	if f.Policies, err = policies(props["Policies"]); err != nil {
		return Function{}, err
	}
	return f, nil
}

// rolePolicies reads what an AWS::IAM::Role allows: each inline policy's
// document, and each managed policy as an Opaque entry.
func rolePolicies(r Resource) ([]Policy, error) {
	var out []Policy
	managed, ok := r.Properties["ManagedPolicyArns"].([]any)
	if r.Properties["ManagedPolicyArns"] != nil && !ok {
		return nil, errors.New("ManagedPolicyArns is not a list")
	}
	for _, arn := range managed {
		out = append(out, Policy{Opaque: fmt.Sprintf("managed policy %v", arn)})
	}
	inline, ok := r.Properties["Policies"].([]any)
	if r.Properties["Policies"] != nil && !ok {
		return nil, errors.New("Policies is not a list")
	}
	for i, e := range inline {
		doc, _ := Lookup(e, "PolicyDocument")
		m, ok := doc.(map[string]any)
		if !ok || isIntrinsic(m) || m["Statement"] == nil {
			return nil, fmt.Errorf("Policies[%d] has no PolicyDocument with a Statement", i)
		}
		p, err := policy(m)
		if err != nil {
			return nil, fmt.Errorf("Policies[%d]: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// policies reads a function's Policies, which SAM accepts as one entry or
// a list of them.
func policies(v any) ([]Policy, error) {
	var entries []any
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		entries = v
	default:
		entries = []any{v}
	}
	out := make([]Policy, 0, len(entries))
	for i, e := range entries {
		p, err := policy(e)
		if err != nil {
			return nil, fmt.Errorf("Policies[%d]: %w", i, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func policy(v any) (Policy, error) {
	if s, ok := v.(string); ok {
		return Policy{Opaque: "managed policy " + s}, nil
	}
	m, ok := v.(map[string]any)
	switch {
	case !ok:
		return Policy{}, fmt.Errorf("unexpected policy %v", v)
	case isIntrinsic(m):
		return Policy{Opaque: fmt.Sprintf("intrinsic function %v", m)}, nil
	case m["Statement"] == nil:
		// A SAM policy template such as DynamoDBCrudPolicy: {TableName: ...}.
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		return Policy{Opaque: "SAM policy template " + strings.Join(names, ", ")}, nil
	}
	raw := m["Statement"]
	list, ok := raw.([]any)
	if !ok {
		list = []any{raw}
	}
	var p Policy
	for i, s := range list {
		sm, ok := s.(map[string]any)
		if !ok {
			return Policy{}, fmt.Errorf("Statement[%d] is not a mapping", i)
		}
		st := Statement{}
		st.Effect, _ = sm["Effect"].(string)
		var err error
		if st.Actions, err = stringList(sm["Action"]); err != nil {
			return Policy{}, fmt.Errorf("Statement[%d].Action: %w", i, err)
		}
		if st.NotActions, err = stringList(sm["NotAction"]); err != nil {
			return Policy{}, fmt.Errorf("Statement[%d].NotAction: %w", i, err)
		}
		switch r := sm["Resource"].(type) {
		case nil:
		case []any:
			st.Resources = r
		default:
			st.Resources = []any{r}
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// stringList reads a string or a list of strings, as IAM writes actions.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%v is not a plain string", e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%v is not a string or a list of strings", v)
}

// HTTPAPI is an AWS::Serverless::HttpApi with Globals.HttpApi applied.
type HTTPAPI struct {
	LogicalID  string
	Line       int
	Properties map[string]any
}

// HTTPAPIs returns the template's HTTP APIs, ordered by logical id.
func (t *Template) HTTPAPIs() []HTTPAPI {
	var out []HTTPAPI
	for _, r := range t.OfType(TypeHTTPAPI) {
		props, _ := mergeGlobals(t.Globals["HttpApi"], r.Properties).(map[string]any)
		out = append(out, HTTPAPI{LogicalID: r.LogicalID, Line: r.Line, Properties: props})
	}
	return out
}

// Table is an AWS::DynamoDB::Table.
type Table struct {
	LogicalID            string
	Line                 int
	Properties           map[string]any
	AttributeDefinitions []AttributeDefinition
	KeySchema            []KeyElement
	// BillingMode is PROVISIONED when the template omits it, as
	// CloudFormation defaults it.
	BillingMode string
	// StreamViewType is empty when the table has no stream.
	StreamViewType         string
	GlobalSecondaryIndexes []Index
	LocalSecondaryIndexes  []Index
}

// AttributeDefinition is one entry of AttributeDefinitions.
type AttributeDefinition struct {
	Name string
	Type string
}

// KeyElement is one entry of a KeySchema.
type KeyElement struct {
	Name    string
	KeyType string
}

// Index is a secondary index.
type Index struct {
	Name           string
	KeySchema      []KeyElement
	ProjectionType string
}

// Tables returns the template's DynamoDB tables, ordered by logical id.
func (t *Template) Tables() ([]Table, error) {
	var out []Table
	for _, r := range t.OfType(TypeTable) {
		tb, err := table(r)
		if err != nil {
			return nil, fmt.Errorf("samtemplate: %s (line %d): %w", r.LogicalID, r.Line, err)
		}
		out = append(out, tb)
	}
	return out, nil
}

func table(r Resource) (Table, error) {
	p := r.Properties
	tb := Table{LogicalID: r.LogicalID, Line: r.Line, Properties: p, BillingMode: "PROVISIONED"}
	if s, ok := p["BillingMode"].(string); ok {
		tb.BillingMode = s
	}
	if v, ok := Lookup(p, "StreamSpecification", "StreamViewType"); ok {
		tb.StreamViewType, _ = v.(string)
	}
	defs, _ := p["AttributeDefinitions"].([]any)
	for i, d := range defs {
		name, ok1 := Lookup(d, "AttributeName")
		typ, ok2 := Lookup(d, "AttributeType")
		n, ok3 := name.(string)
		ty, ok4 := typ.(string)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return Table{}, fmt.Errorf("AttributeDefinitions[%d] needs AttributeName and AttributeType strings", i)
		}
		tb.AttributeDefinitions = append(tb.AttributeDefinitions, AttributeDefinition{Name: n, Type: ty})
	}
	var err error
	if tb.KeySchema, err = keySchema(p["KeySchema"]); err != nil {
		return Table{}, fmt.Errorf("KeySchema: %w", err)
	}
	for _, kind := range []struct {
		prop string
		dst  *[]Index
	}{{"GlobalSecondaryIndexes", &tb.GlobalSecondaryIndexes}, {"LocalSecondaryIndexes", &tb.LocalSecondaryIndexes}} {
		list, _ := p[kind.prop].([]any)
		for i, ix := range list {
			name, _ := Lookup(ix, "IndexName")
			proj, _ := Lookup(ix, "Projection", "ProjectionType")
			keys, _ := Lookup(ix, "KeySchema")
			idx := Index{}
			idx.Name, _ = name.(string)
			idx.ProjectionType, _ = proj.(string)
			if idx.KeySchema, err = keySchema(keys); err != nil {
				return Table{}, fmt.Errorf("%s[%d].KeySchema: %w", kind.prop, i, err)
			}
			*kind.dst = append(*kind.dst, idx)
		}
	}
	return tb, nil
}

func keySchema(v any) ([]KeyElement, error) {
	list, _ := v.([]any)
	var out []KeyElement
	for i, k := range list {
		name, _ := Lookup(k, "AttributeName")
		typ, _ := Lookup(k, "KeyType")
		n, ok1 := name.(string)
		ty, ok2 := typ.(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("[%d] needs AttributeName and KeyType strings", i)
		}
		out = append(out, KeyElement{Name: n, KeyType: ty})
	}
	return out, nil
}

package awscheck_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/httpapi"
)

// motoCannotCreate are the resource types of the transformed template that
// moto 5.2.1's CloudFormation does not implement: it warns "Tried to parse
// ... but it's not supported" and leaves them out of the stack, which still
// completes. The test says which resources that leaves out, fails if any
// other type is left out, and fails if one of these is created after all
// (then moto has learnt it, and it belongs in the checks instead).
var motoCannotCreate = map[string]bool{
	"AWS::ApiGatewayV2::Api":   true, // the routes are checked in the transformed template instead
	"AWS::ApiGatewayV2::Stage": true,
	"AWS::CloudWatch::Alarm":   true,
	"AWS::SNS::Subscription":   true,
	// The provisioning function's asynchronous retries and the dead-letter
	// queue's policy for EventBridge (checked by internal/samtemplate's
	// TestRuleFunctions and by cfn-lint instead).
	"AWS::Lambda::EventInvokeConfig": true,
	"AWS::SQS::QueuePolicy":          true,
}

// stackName is the stack created in moto.
const stackName = "usermanagement-awscheck"

// motoListing is what infra/awscheck/deploy.py prints.
type motoListing struct {
	StackStatus       string
	StackStatusReason string
	Resources         []struct {
		LogicalID  string `json:"logicalId"`
		Type       string `json:"type"`
		PhysicalID string `json:"physicalId"`
		Status     string `json:"status"`
	}
	Tables []struct {
		TableName           string
		KeySchema           []map[string]string
		StreamSpecification map[string]any
		LatestStreamArn     string
	}
	Functions []struct {
		FunctionName  string
		FunctionArn   string
		Runtime       string
		Handler       string
		Architectures []string
		MemorySize    int
		Timeout       int
		Environment   struct{ Variables map[string]string }
	}
	EventSourceMappings []map[string]any
	Queues              []struct {
		URL        string            `json:"url"`
		Attributes map[string]string `json:"attributes"`
	}
	Rules []struct {
		Name         string
		EventBusName string
		EventPattern string
		State        string
		Targets      []map[string]any
	}
	Topics   []string
	HTTPApis []struct {
		Name   string
		Routes []string
	} `json:"httpApis"`
	AfterDelete struct {
		StackStatus string
		Tables      []string
		Functions   []string
		Queues      []string
	}
}

// startMoto starts a moto server on 127.0.0.1 (port chosen by the system)
// and returns its URL; the server is stopped when the test ends, failed or
// not.
func startMoto(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(python, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0")
	// Its own process group, so that the cleanup stops it and anything it
	// started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting moto server: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	// The server prints " * Running on http://127.0.0.1:<port>" once it
	// listens; the rest of its log is kept for a failure message.
	running := regexp.MustCompile(`Running on (http://127\.0\.0\.1:[0-9]+)`)
	found := make(chan string, 1)
	var log strings.Builder
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := running.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
			log.WriteString(sc.Text() + "\n")
		}
	}()
	select {
	case url := <-found:
		return url
	case <-logDone:
		t.Fatalf("moto server exited before listening:\n%s", log.String())
	case <-time.After(60 * time.Second):
		t.Fatal("moto server did not report listening on 127.0.0.1 within 60s")
	}
	return ""
}

// TestMotoStack creates the transformed template as a stack in a moto
// server and checks what the services list: the stack completes; every
// resource is created but those of the types moto cannot create; the
// table with its stream; one function per function of the template, every
// route's among them; each event source mapping on the table's stream with
// the template's settings and filter; the queues with their retention; the
// EventBridge rules the template defines (none yet) and no other; the alarm
// topic. Deleting the stack then must leave the resources the template
// retains, and only them.
func TestMotoStack(t *testing.T) {
	raw, tmpl := transformed(t)
	t.Parallel()
	url := startMoto(t)
	file := filepath.Join(t.TempDir(), "transformed.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"infra/awscheck/deploy.py", url, file, codeURI, stackName}, deployParameters...)
	out := run(t, 3*time.Minute, python, args...)
	var got motoListing
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("deploy.py output: %v\n%s", err, out)
	}
	if got.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("stack %s: %s (%s)", stackName, got.StackStatus, got.StackStatusReason)
	}

	// Created and not created, by logical id.
	physical := map[string]string{}
	for _, r := range got.Resources {
		if r.Status != "CREATE_COMPLETE" {
			t.Errorf("%s (%s) is %s", r.LogicalID, r.Type, r.Status)
		}
		physical[r.LogicalID] = r.PhysicalID
	}
	notCreated := map[string][]string{}
	for id, r := range tmpl.Resources {
		if _, ok := physical[id]; !ok {
			notCreated[r.Type] = append(notCreated[r.Type], id)
		}
	}
	for _, typ := range sortedKeys(notCreated) {
		ids := notCreated[typ]
		sort.Strings(ids)
		if motoCannotCreate[typ] {
			t.Logf("moto cannot create %s, so these are not in the stack: %s", typ, strings.Join(ids, ", "))
		} else {
			t.Errorf("moto did not create %s: %s", typ, strings.Join(ids, ", "))
		}
	}
	for _, typ := range sortedKeys(motoCannotCreate) {
		if len(notCreated[typ]) == 0 && len(tmpl.ofType(typ)) > 0 {
			t.Errorf("moto created every %s: remove it from motoCannotCreate and check it here", typ)
		}
	}

	// The table, with the stream its consumer reads.
	tables := tmpl.ofType("AWS::DynamoDB::Table")
	if len(got.Tables) != len(tables) {
		t.Errorf("moto lists %d tables, the template defines %d (%v)", len(got.Tables), len(tables), tables)
	}
	streamArns := map[string]string{} // table logical id -> stream ARN
	for _, id := range tables {
		i := slices.IndexFunc(got.Tables, func(tb struct {
			TableName           string
			KeySchema           []map[string]string
			StreamSpecification map[string]any
			LatestStreamArn     string
		}) bool {
			return tb.TableName == physical[id]
		})
		if i < 0 {
			t.Errorf("table %s (%s) is not listed", id, physical[id])
			continue
		}
		tb := got.Tables[i]
		t.Logf("table %s: %s, stream %s", id, tb.TableName, tb.LatestStreamArn)
		want := lookup(tmpl.Resources[id].Properties, "StreamSpecification", "StreamViewType")
		if tb.StreamSpecification["StreamViewType"] != want || tb.StreamSpecification["StreamEnabled"] != true || tb.LatestStreamArn == "" {
			t.Errorf("table %s has stream %v (%q), want %v enabled", id, tb.StreamSpecification, tb.LatestStreamArn, want)
		}
		streamArns[id] = tb.LatestStreamArn
	}

	// The functions: as many as template.yaml has, each route's among them.
	functionArns := map[string]string{} // logical id -> ARN
	for _, f := range got.Functions {
		for id, p := range physical {
			if p == f.FunctionName && tmpl.Resources[id].Type == "AWS::Lambda::Function" {
				functionArns[id] = f.FunctionArn
			}
		}
	}
	for _, f := range got.Functions {
		id := ""
		for i, p := range physical {
			if p == f.FunctionName {
				id = i
			}
		}
		props := tmpl.Resources[id].Properties
		listed := map[string]any{"Runtime": f.Runtime, "Handler": f.Handler, "MemorySize": f.MemorySize, "Timeout": f.Timeout}
		for _, k := range sortedKeys(listed) {
			if !jsonEqual(listed[k], props[k]) {
				t.Errorf("function %s has %s %v, the template %v", id, k, listed[k], props[k])
			}
		}
		wantEnv, _ := lookup(props, "Environment", "Variables").(map[string]any)
		if gotEnv, want := sortedKeys(f.Environment.Variables), sortedKeys(wantEnv); !slices.Equal(gotEnv, want) {
			t.Errorf("function %s has environment variables %v, the template %v", id, gotEnv, want)
		}
		// moto's CloudFormation does not pass Architectures on (it lists
		// its default, x86_64), so the transformed template is checked.
		if a := fmt.Sprint(props["Architectures"]); a != "[arm64]" {
			t.Errorf("function %s has Architectures %s in the transformed template, want [arm64]", id, a)
		}
	}
	if want := templateFunctions(t); len(got.Functions) != len(want) || len(functionArns) != len(want) {
		t.Errorf("moto lists %d functions (%d of the stack), template.yaml defines %d: %v", len(got.Functions), len(functionArns), len(want), want)
	}
	t.Logf("%d functions: %v", len(functionArns), sortedKeys(functionArns))
	for _, r := range httpapi.Routes() {
		if _, ok := functionArns[r.Operation+"Function"]; !ok {
			t.Errorf("route %s %s: its function %sFunction is not listed", r.Method, r.Path, r.Operation)
		}
	}

	// The queues, with the retention the template gives them.
	queueArns := map[string]string{} // logical id -> ARN
	queues := tmpl.ofType("AWS::SQS::Queue")
	if len(got.Queues) != len(queues) {
		t.Errorf("moto lists %d queues, the template defines %d (%v)", len(got.Queues), len(queues), queues)
	}
	for _, id := range queues {
		name := queueName(physical[id])
		i := slices.IndexFunc(got.Queues, func(q struct {
			URL        string            `json:"url"`
			Attributes map[string]string `json:"attributes"`
		}) bool {
			return queueName(q.URL) == name
		})
		if i < 0 {
			t.Errorf("queue %s (%s) is not listed", id, name)
			continue
		}
		q := got.Queues[i]
		queueArns[id] = q.Attributes["QueueArn"]
		t.Logf("queue %s: %s, retention %ss", id, q.Attributes["QueueArn"], q.Attributes["MessageRetentionPeriod"])
		if want := tmpl.Resources[id].Properties["MessageRetentionPeriod"]; !jsonEqual(q.Attributes["MessageRetentionPeriod"], fmt.Sprint(want)) && !jsonEqual(json.Number(q.Attributes["MessageRetentionPeriod"]), want) {
			t.Errorf("queue %s keeps messages %ss, want %s", id, q.Attributes["MessageRetentionPeriod"], want)
		}
	}

	// The event source mappings: each listed with the template's settings,
	// on the stream of the template's table, for its function, with its
	// filter and on-failure queue.
	mappings := tmpl.ofType("AWS::Lambda::EventSourceMapping")
	if len(got.EventSourceMappings) != len(mappings) {
		t.Errorf("moto lists %d event source mappings, the template defines %d (%v)", len(got.EventSourceMappings), len(mappings), mappings)
	}
	for _, id := range mappings {
		props := tmpl.Resources[id].Properties
		i := slices.IndexFunc(got.EventSourceMappings, func(m map[string]any) bool { return m["UUID"] == physical[id] })
		if i < 0 {
			t.Errorf("event source mapping %s (%s) is not listed", id, physical[id])
			continue
		}
		m := got.EventSourceMappings[i]
		t.Logf("event source mapping %s: %v -> %v, filter %v", id, m["EventSourceArn"], m["FunctionArn"], m["FilterCriteria"])
		want := map[string]any{}
		for k, v := range props {
			want[k] = resolve(v, physical, streamArns, functionArns, queueArns)
		}
		want["FunctionArn"] = want["FunctionName"]
		delete(want, "FunctionName")
		for _, k := range sortedKeys(want) {
			if !jsonEqual(m[k], want[k]) {
				t.Errorf("event source mapping %s has %s %v, want %v", id, k, m[k], want[k])
			}
		}
		if _, ok := props["FilterCriteria"]; !ok {
			t.Errorf("event source mapping %s has no FilterCriteria in the template", id)
		}
	}

	// EventBridge rules: exactly those the template defines, each with its
	// pattern and state. There is none yet; a rule added to the template is
	// checked here without a change to this test.
	rules := tmpl.ofType("AWS::Events::Rule")
	if len(got.Rules) != len(rules) {
		t.Errorf("moto lists %d EventBridge rules, the template defines %d (%v)", len(got.Rules), len(rules), rules)
	}
	t.Logf("EventBridge rules: the template defines %d, moto lists %d", len(rules), len(got.Rules))
	for _, id := range rules {
		props := tmpl.Resources[id].Properties
		i := slices.IndexFunc(got.Rules, func(r struct {
			Name         string
			EventBusName string
			EventPattern string
			State        string
			Targets      []map[string]any
		}) bool {
			return r.Name == physical[id] || strings.HasSuffix(physical[id], "/"+r.Name) || strings.HasSuffix(physical[id], "|"+r.Name)
		})
		if i < 0 {
			t.Errorf("rule %s (%s) is not listed", id, physical[id])
			continue
		}
		r := got.Rules[i]
		t.Logf("rule %s: %s on %s, %d targets", id, r.Name, r.EventBusName, len(r.Targets))
		if p, ok := props["EventPattern"]; ok {
			var gotPattern any
			if want := tmpl.resolveParameters(p); json.Unmarshal([]byte(r.EventPattern), &gotPattern) != nil || !jsonEqual(gotPattern, want) {
				t.Errorf("rule %s has pattern %s, want %v", id, r.EventPattern, want)
			}
		}
		if s, ok := props["State"]; ok && s != r.State {
			t.Errorf("rule %s is %s, want %v", id, r.State, s)
		}
		if ts, _ := props["Targets"].([]any); len(ts) != len(r.Targets) {
			t.Errorf("rule %s has %d targets, want %d", id, len(r.Targets), len(ts))
		}
	}

	// The alarm topic (its alarms and email subscription are among what
	// moto cannot create).
	for _, id := range tmpl.ofType("AWS::SNS::Topic") {
		if !slices.Contains(got.Topics, physical[id]) {
			t.Errorf("topic %s (%s) is not listed: %v", id, physical[id], got.Topics)
		}
	}
	t.Logf("moto lists %d HTTP APIs (it cannot create them from CloudFormation)", len(got.HTTPApis))

	// After deleting the stack: what the template retains is left, the
	// rest is gone.
	if got.AfterDelete.StackStatus != "DELETE_COMPLETE" {
		t.Errorf("deleting the stack: %s", got.AfterDelete.StackStatus)
	}
	left := map[string]bool{}
	for _, n := range got.AfterDelete.Tables {
		left[n] = true
	}
	for _, n := range got.AfterDelete.Functions {
		left[n] = true
	}
	for _, u := range got.AfterDelete.Queues {
		left[queueName(u)] = true
	}
	for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Lambda::Function"} {
		for _, id := range tmpl.ofType(typ) {
			name := physical[id]
			if typ == "AWS::SQS::Queue" {
				name = queueName(name)
			}
			retained := tmpl.Resources[id].DeletionPolicy == "Retain"
			switch {
			case retained && !left[name]:
				t.Errorf("%s has DeletionPolicy Retain but did not survive the stack's deletion", id)
			case !retained && left[name]:
				t.Errorf("%s survived the stack's deletion without DeletionPolicy Retain", id)
			case retained:
				t.Logf("%s survived the stack's deletion (DeletionPolicy Retain)", id)
			}
		}
	}
}

// templateFunctions returns the logical ids of template.yaml's
// AWS::Serverless::Function resources, read from the file itself.
func templateFunctions(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// A resource is "  <LogicalId>:" followed by "    Type: <type>".
	re := regexp.MustCompile(`(?m)^  ([A-Za-z0-9]+):\n    Type: AWS::Serverless::Function\s*$`)
	var ids []string
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// resolve replaces the intrinsics of the transformed template that an event
// source mapping uses (Ref to a function, Fn::GetAtt of a table's StreamArn
// or a queue's Arn) with the values moto lists.
func resolve(v any, physical, streams, functions, queues map[string]string) any {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok && len(v) == 1 {
			if arn, ok := functions[ref]; ok {
				return arn
			}
			return physical[ref]
		}
		if ga, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 && len(ga) == 2 {
			id, attr := fmt.Sprint(ga[0]), fmt.Sprint(ga[1])
			switch {
			case attr == "StreamArn":
				return streams[id]
			case attr == "Arn" && queues[id] != "":
				return queues[id]
			case attr == "Arn" && functions[id] != "":
				return functions[id]
			}
			return v
		}
		out := map[string]any{}
		for k, e := range v {
			out[k] = resolve(e, physical, streams, functions, queues)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = resolve(e, physical, streams, functions, queues)
		}
		return out
	}
	return v
}

// jsonEqual compares two values as JSON would decode them, so that numbers
// and nested maps compare alike whatever their Go types.
func jsonEqual(a, b any) bool {
	norm := func(v any) any {
		data, _ := json.Marshal(v)
		var out any
		_ = json.Unmarshal(data, &out)
		return out
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// queueName is the last segment of a queue's URL.
func queueName(url string) string {
	return url[strings.LastIndex(url, "/")+1:]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

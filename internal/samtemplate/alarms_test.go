package samtemplate_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/samtemplate"
)

// Resource types of the alarms and where they notify.
const (
	typeAlarm        = "AWS::CloudWatch::Alarm"
	typeTopic        = "AWS::SNS::Topic"
	typeSubscription = "AWS::SNS::Subscription"
	typeQueue        = "AWS::SQS::Queue"
)

// alarmEmailParameter is the optional address the alarms are emailed to.
const alarmEmailParameter = "AlarmEmail"

// alarm is what the checks read of an AWS::CloudWatch::Alarm.
type alarm struct {
	id        string
	line      int
	namespace string
	metric    string
	// dimensions maps each dimension name to its value.
	dimensions map[string]any
	props      map[string]any
}

// alarms returns the template's alarms.
func alarms(t *testing.T) []alarm {
	t.Helper()
	var out []alarm
	for _, r := range deployed(t).OfType(typeAlarm) {
		a := alarm{id: r.LogicalID, line: r.Line, props: r.Properties, dimensions: map[string]any{}}
		a.namespace, _ = r.Properties["Namespace"].(string)
		a.metric, _ = r.Properties["MetricName"].(string)
		dims, _ := r.Properties["Dimensions"].([]any)
		for _, d := range dims {
			name, _ := samtemplate.Lookup(d, "Name")
			value, _ := samtemplate.Lookup(d, "Value")
			n, _ := name.(string)
			a.dimensions[n] = value
		}
		out = append(out, a)
	}
	return out
}

// alarmTopic returns the logical id of the template's one SNS topic, the
// one every alarm notifies.
func alarmTopic(t *testing.T) string {
	t.Helper()
	topics := deployed(t).OfType(typeTopic)
	if len(topics) != 1 {
		t.Fatalf("template.yaml has %d SNS topics, want 1 for the alarms to notify", len(topics))
	}
	return topics[0].LogicalID
}

// findAlarms returns the alarms on one metric with exactly the given
// dimensions.
func findAlarms(all []alarm, namespace, metric string, dimensions map[string]any) []alarm {
	var out []alarm
	for _, a := range all {
		if a.namespace == namespace && a.metric == metric && reflect.DeepEqual(a.dimensions, dimensions) {
			out = append(out, a)
		}
	}
	return out
}

// TestFunctionAlarms checks that every function of template.yaml has an
// alarm on its Errors and one on its Throttles, and every stream function
// one on its IteratorAge, each firing on the first occurrence (or the lag
// stated here) and notifying the alarm topic.
func TestFunctionAlarms(t *testing.T) {
	all := alarms(t)
	fns := functionsByID(t)
	type want struct {
		metric    string
		statistic string
		// most is a value of the metric the alarm must fire at.
		most float64
	}
	for _, id := range sortedKeys(fns) {
		wants := []want{
			// Any failed or throttled invocation is worth a look: handled
			// errors are responses or BatchItemFailures, never Errors.
			{"Errors", "Sum", 1},
			{"Throttles", "Sum", 1},
		}
		if _, stream := streamFunctions[id]; stream {
			// Delivery normally lags well under a second; records five
			// minutes old mean late welcome emails.
			wants = append(wants, want{"IteratorAge", "Maximum", 300000})
		}
		dims := map[string]any{"FunctionName": map[string]any{"Ref": id}}
		for _, w := range wants {
			found := findAlarms(all, "AWS/Lambda", w.metric, dims)
			if len(found) != 1 {
				t.Errorf("template.yaml:%d: %s has %d alarms on AWS/Lambda %s with FunctionName !Ref %s, want 1", fns[id].Line, id, len(found), w.metric, id)
				continue
			}
			checkAlarm(t, found[0], w.statistic, w.most)
		}
	}
}

// TestDeadLetterQueueAlarm checks that every queue a stream function reports
// failed batches to has an alarm on its depth that fires on one message.
func TestDeadLetterQueueAlarm(t *testing.T) {
	tmpl := deployed(t)
	all := alarms(t)
	queues := map[string]bool{}
	for _, id := range sortedKeys(streamFunctions) {
		f, ok := functionsByID(t)[id]
		if !ok {
			continue // reported by TestFunctionLogicalIDs
		}
		events, _ := f.Properties["Events"].(map[string]any)
		for _, name := range sortedKeys(events) {
			dest, _ := samtemplate.Lookup(events[name], "Properties", "DestinationConfig", "OnFailure", "Destination")
			if q, attr, ok := samtemplate.GetAtt(dest); ok && attr == "Arn" && tmpl.Resources[q].Type == typeQueue {
				queues[q] = true
			}
		}
	}
	if len(queues) == 0 {
		t.Fatal("no stream function reports failures to a queue of the template; TestStreamFunctions says why")
	}
	for _, q := range sortedKeys(queues) {
		dims := map[string]any{"QueueName": map[string]any{"Fn::GetAtt": []any{q, "QueueName"}}}
		found := findAlarms(all, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dims)
		if len(found) != 1 {
			t.Errorf("template.yaml:%d: on-failure queue %s has %d alarms on AWS/SQS ApproximateNumberOfMessagesVisible with QueueName !GetAtt %s.QueueName, want 1", tmpl.Resources[q].Line, q, len(found), q)
			continue
		}
		checkAlarm(t, found[0], "Maximum", 1)
	}
}

// checkAlarm checks what every alarm needs: a statistic, a threshold
// crossed upwards by the time the metric reaches most, a period and evaluation CloudWatch accepts,
// missing data not breaching (an idle function publishes nothing), and
// notifications to the alarm topic when it fires and when it clears.
func checkAlarm(t *testing.T, a alarm, statistic string, most float64) {
	t.Helper()
	where := fmt.Sprintf("template.yaml:%d: alarm %s (%s %s)", a.line, a.id, a.namespace, a.metric)
	if got := a.props["Statistic"]; got != statistic {
		t.Errorf("%s has Statistic %v, want %s", where, got, statistic)
	}
	threshold, ok := number(a.props["Threshold"])
	op := a.props["ComparisonOperator"]
	switch {
	case !ok:
		t.Errorf("%s has Threshold %v, want a number", where, a.props["Threshold"])
	case op == "GreaterThanOrEqualToThreshold" && threshold <= most, op == "GreaterThanThreshold" && threshold < most:
	default:
		t.Errorf("%s fires when the metric is %v %v; want it to fire by %v", where, op, threshold, most)
	}
	period, _ := number(a.props["Period"])
	evaluations, _ := number(a.props["EvaluationPeriods"])
	if period < 60 || int(period)%60 != 0 || evaluations < 1 || period*evaluations > 86400 {
		t.Errorf("%s has Period %v and EvaluationPeriods %v; want a multiple of 60 seconds over at most a day", where, a.props["Period"], a.props["EvaluationPeriods"])
	}
	if got := a.props["TreatMissingData"]; got != "notBreaching" {
		t.Errorf("%s has TreatMissingData %v, want notBreaching: a function nobody calls publishes no data", where, got)
	}
	topic := map[string]any{"Ref": alarmTopic(t)}
	for _, key := range []string{"AlarmActions", "OKActions"} {
		actions, _ := a.props[key].([]any)
		if !slices.ContainsFunc(actions, func(v any) bool { return reflect.DeepEqual(v, topic) }) {
			t.Errorf("%s has %s %v, want them to include !Ref %s", where, key, a.props[key], alarmTopic(t))
		}
	}
}

// number reads a YAML number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// TestEveryAlarmNotifies checks that no alarm is silent and none watches a
// resource the template does not have.
func TestEveryAlarmNotifies(t *testing.T) {
	tmpl := deployed(t)
	topic := map[string]any{"Ref": alarmTopic(t)}
	for _, a := range alarms(t) {
		where := fmt.Sprintf("template.yaml:%d: alarm %s", a.line, a.id)
		actions, _ := a.props["AlarmActions"].([]any)
		if !slices.ContainsFunc(actions, func(v any) bool { return reflect.DeepEqual(v, topic) }) {
			t.Errorf("%s does not notify !Ref %s", where, alarmTopic(t))
		}
		if len(a.dimensions) == 0 {
			t.Errorf("%s has no Dimensions, so it watches the whole account's %s %s", where, a.namespace, a.metric)
		}
		for name, v := range a.dimensions {
			id, isRef := samtemplate.Ref(v)
			if gid, _, isGetAtt := samtemplate.GetAtt(v); isGetAtt {
				id = gid
			}
			if _, ok := tmpl.Resources[id]; (isRef || id != "") && !ok {
				t.Errorf("%s dimension %s names %v, which is not a resource of the template", where, name, v)
			}
		}
	}
}

// TestAlarmEmail checks that AlarmEmail is optional and, when given, is
// subscribed to the alarm topic by email.
func TestAlarmEmail(t *testing.T) {
	tmpl := deployed(t)
	p, ok := tmpl.Parameters[alarmEmailParameter]
	if !ok {
		t.Fatalf("template.yaml has no parameter %s", alarmEmailParameter)
	}
	if d, ok := samtemplate.Lookup(p, "Default"); !ok || d != "" {
		t.Errorf("parameter %s has Default %v, want \"\" (no email unless asked for)", alarmEmailParameter, d)
	}
	subs := tmpl.OfType(typeSubscription)
	if len(subs) != 1 {
		t.Fatalf("template.yaml has %d SNS subscriptions, want 1 (the alarm email)", len(subs))
	}
	sub := subs[0]
	where := fmt.Sprintf("template.yaml:%d: %s", sub.Line, sub.LogicalID)
	want := map[string]any{
		"TopicArn": map[string]any{"Ref": alarmTopic(t)},
		"Protocol": "email",
		"Endpoint": map[string]any{"Ref": alarmEmailParameter},
	}
	if d := cmp.Diff(want, sub.Properties); d != "" {
		t.Errorf("%s properties (-want +got):\n%s", where, d)
	}
	// Without the condition, an empty AlarmEmail would fail the deploy.
	wantCond := map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": alarmEmailParameter}, ""}}}}
	if got := tmpl.Conditions[sub.Condition]; sub.Condition == "" || !reflect.DeepEqual(got, wantCond) {
		t.Errorf("%s has Condition %q (%v); want one that is true exactly when %s is not empty", where, sub.Condition, got, alarmEmailParameter)
	}
}

// TestOutputs checks that the stack's outputs give a deployer what the
// front end and subscribers need: the API's URL, the table, the bus, and
// where the alarms go.
func TestOutputs(t *testing.T) {
	tmpl := deployed(t)
	apis := tmpl.HTTPAPIs()
	tables := tmpl.OfType(samtemplate.TypeTable)
	if len(apis) != 1 || len(tables) != 1 {
		t.Fatalf("template.yaml has %d HTTP APIs and %d tables, want 1 of each", len(apis), len(tables))
	}
	value := func(name string) any {
		v, ok := samtemplate.Lookup(tmpl.Outputs, name, "Value")
		if !ok {
			t.Errorf("template.yaml has no output %s", name)
		}
		return v
	}
	if v := value("ApiUrl"); v != nil {
		sub, _ := samtemplate.Lookup(v, "Fn::Sub")
		s, _ := sub.(string)
		if !strings.HasPrefix(s, "https://${"+apis[0].LogicalID+"}.execute-api.${AWS::Region}.") {
			t.Errorf("output ApiUrl is %v, want !Sub https://${%s}.execute-api.${AWS::Region}.${AWS::URLSuffix}", v, apis[0].LogicalID)
		}
	}
	for name, want := range map[string]any{
		"TableName":     map[string]any{"Ref": tables[0].LogicalID},
		"EventBusName":  map[string]any{"Ref": "EventBusName"},
		"AlarmTopicArn": map[string]any{"Ref": alarmTopic(t)},
	} {
		if got := value(name); got != nil && !reflect.DeepEqual(got, want) {
			t.Errorf("output %s is %v, want %v", name, got, want)
		}
	}
}

package samtemplate_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/provision"
	"github.com/businessapp/usermanagement/internal/samtemplate"
)

// TestRuleFunctions checks each function an EventBridge rule invokes (the
// provisioning function, SPEC §7): one rule on the events' bus for the
// PlatformEventSource parameter and both platform detail-types targets it,
// with a retry policy and a dead-letter queue that keeps its messages 14
// days and survives the stack; Lambda's own retries end in the same queue,
// which has an alarm; EventBridge may invoke the function from that rule
// only; and its role allows exactly the actions of ruleFunctions, each on
// its one resource.
func TestRuleFunctions(t *testing.T) {
	tmpl := deployed(t)
	fns := functionsByID(t)
	all := alarms(t)
	for _, id := range sortedKeys(ruleFunctions) {
		f, ok := fns[id]
		if !ok {
			continue // reported by TestFunctionLogicalIDs
		}
		sf := ruleFunctions[id]
		where := fmt.Sprintf("template.yaml:%d: %s", f.Line, id)
		if len(f.Events) != 0 || len(f.OtherEvents) != 0 {
			t.Errorf("%s has events; its rule is a resource of its own", where)
		}

		// The rule and its target.
		var rules []string
		for _, rid := range sortedKeys(tmpl.Resources) {
			r := tmpl.Resources[rid]
			if r.Type != "AWS::Events::Rule" {
				continue
			}
			targets, _ := samtemplate.Lookup(r.Properties, "Targets")
			list, _ := targets.([]any)
			for _, target := range list {
				arn, _ := samtemplate.Lookup(target, "Arn")
				if fid, attr, ok := samtemplate.GetAtt(arn); ok && fid == id && attr == "Arn" {
					rules = append(rules, rid)
					checkRuleTarget(t, tmpl, rid, r, target)
				}
			}
		}
		if len(rules) != 1 {
			t.Fatalf("%s is the target of rules %q, want exactly one", where, rules)
		}
		rule := rules[0]

		// Lambda's retries end in the same queue.
		dlq, _ := samtemplate.Lookup(f.Properties, "DeadLetterQueue", "TargetArn")
		if want := sf.actions["sqs:SendMessage"]; !reflect.DeepEqual(dlq, want) {
			t.Errorf("%s has DeadLetterQueue.TargetArn %v, want %v", where, dlq, want)
		}
		if n, _ := samtemplate.Lookup(f.Properties, "EventInvokeConfig", "MaximumRetryAttempts"); n != 2 {
			t.Errorf("%s has EventInvokeConfig.MaximumRetryAttempts %v, want 2 (Lambda's most)", where, n)
		}

		// The invoke permission: from this rule only.
		var permitted bool
		for _, pid := range sortedKeys(tmpl.Resources) {
			p := tmpl.Resources[pid]
			if p.Type != "AWS::Lambda::Permission" {
				continue
			}
			fn, _ := samtemplate.Lookup(p.Properties, "FunctionName")
			if ref, _ := samtemplate.Ref(fn); ref != id {
				continue
			}
			src, _ := samtemplate.Lookup(p.Properties, "SourceArn")
			principal, _ := samtemplate.Lookup(p.Properties, "Principal")
			if rid, attr, ok := samtemplate.GetAtt(src); !ok || rid != rule || attr != "Arn" || principal != "events.amazonaws.com" {
				t.Errorf("template.yaml:%d: %s lets %v invoke %s from %v, want events.amazonaws.com from !GetAtt %s.Arn", p.Line, pid, principal, id, src, rule)
			}
			permitted = true
		}
		if !permitted {
			t.Errorf("%s has no AWS::Lambda::Permission for EventBridge", where)
		}

		// Its log group and alarm on the queue.
		lg, _ := samtemplate.Lookup(f.Properties, "LoggingConfig", "LogGroup")
		if ref, _ := samtemplate.Ref(lg); tmpl.Resources[ref].Type != "AWS::Logs::LogGroup" {
			t.Errorf("%s has LoggingConfig.LogGroup %v, want !Ref of its AWS::Logs::LogGroup", where, lg)
		}
		if q, _, ok := samtemplate.GetAtt(dlq); ok {
			dims := map[string]any{"QueueName": map[string]any{"Fn::GetAtt": []any{q, "QueueName"}}}
			if found := findAlarms(all, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dims); len(found) != 1 {
				t.Errorf("dead-letter queue %s has %d depth alarms, want 1", q, len(found))
			} else {
				checkAlarm(t, found[0], "Maximum", 1)
			}
		}

		// The role: exactly its actions, each on its one resource.
		if f.RoleID == "" {
			t.Errorf("%s has no Role of its own", where)
		}
		allowed := map[string]bool{}
		for i, p := range f.Policies {
			if p.Opaque != "" {
				t.Errorf("%s: policy %d is a %s, whose actions cannot be checked", where, i, p.Opaque)
			}
			for _, st := range p.Statements {
				if st.Effect != "Allow" {
					continue
				}
				for _, a := range st.Actions {
					allowed[strings.ToLower(a)] = true
					want, known := lookupFold(sf.actions, a)
					if !known || isWildcard(a) {
						t.Errorf("%s allows %s, which ruleFunctions does not give it", where, a)
						continue
					}
					for _, res := range st.Resources {
						if !reflect.DeepEqual(res, want) {
							t.Errorf("%s allows %s on %v, want only %v", where, a, res, want)
						}
					}
				}
			}
		}
		for _, a := range sortedKeys(sf.actions) {
			if !allowed[strings.ToLower(a)] {
				t.Errorf("%s is not allowed %s on %v, which it needs", where, a, sf.actions[a])
			}
		}
	}
}

func checkRuleTarget(t *testing.T, tmpl *samtemplate.Template, rid string, r samtemplate.Resource, target any) {
	t.Helper()
	where := fmt.Sprintf("template.yaml:%d: rule %s", r.Line, rid)
	bus, _ := samtemplate.Lookup(r.Properties, "EventBusName")
	if ref, _ := samtemplate.Ref(bus); ref != "EventBusName" {
		t.Errorf("%s is on bus %v, want !Ref EventBusName", where, bus)
	}
	src, _ := samtemplate.Lookup(r.Properties, "EventPattern", "source")
	if !reflect.DeepEqual(src, []any{map[string]any{"Ref": "PlatformEventSource"}}) {
		t.Errorf("%s matches source %v, want [!Ref PlatformEventSource]", where, src)
	}
	if d, _ := samtemplate.Lookup(tmpl.Parameters, "PlatformEventSource", "Default"); d != provision.DefaultSource {
		t.Errorf("parameter PlatformEventSource has default %v, want %s", d, provision.DefaultSource)
	}
	dt, _ := samtemplate.Lookup(r.Properties, "EventPattern", "detail-type")
	got, _ := dt.([]any)
	if want := []any{provision.DetailTypeUpserted, provision.DetailTypeDeleted}; !slices.Equal(got, want) {
		t.Errorf("%s matches detail-type %v, want %v", where, dt, want)
	}
	if n, _ := samtemplate.Lookup(target, "RetryPolicy", "MaximumRetryAttempts"); n == nil {
		t.Errorf("%s's target has no RetryPolicy", where)
	}
	dlq, _ := samtemplate.Lookup(target, "DeadLetterConfig", "Arn")
	q, attr, ok := samtemplate.GetAtt(dlq)
	if !ok || attr != "Arn" || tmpl.Resources[q].Type != "AWS::SQS::Queue" {
		t.Errorf("%s's target has DeadLetterConfig.Arn %v, want !GetAtt <AWS::SQS::Queue>.Arn", where, dlq)
		return
	}
	queue := tmpl.Resources[q]
	if days, _ := samtemplate.Lookup(queue.Properties, "MessageRetentionPeriod"); days != 1209600 {
		t.Errorf("template.yaml:%d: %s has MessageRetentionPeriod %v, want 1209600 (14 days)", queue.Line, q, days)
	}
}

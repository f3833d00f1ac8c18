package samtemplate_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/metrics"
	"github.com/businessapp/usermanagement/internal/samtemplate"
)

// searchMetric is the metric a SEARCH expression of the dashboard finds.
var searchMetric = regexp.MustCompile(`SEARCH\('\{([^,}]+),[^}]*\} MetricName="([^"]+)"`)

// TestDashboardGraphsEveryMetric checks the dashboard against the code: its
// body is valid JSON once CloudFormation has substituted it, every metric
// internal/metrics writes is graphed in the namespace the functions write
// it to (MetricsNamespace, whose default is metrics.DefaultNamespace), and
// every widget names its region, which CloudWatch requires.
func TestDashboardGraphsEveryMetric(t *testing.T) {
	tmpl := deployed(t)
	if def, _ := samtemplate.Lookup(tmpl.Parameters["MetricsNamespace"], "Default"); def != metrics.DefaultNamespace {
		t.Errorf("MetricsNamespace's default is %v, want metrics.DefaultNamespace (%s)", def, metrics.DefaultNamespace)
	}
	dashboards := tmpl.OfType("AWS::CloudWatch::Dashboard")
	if len(dashboards) != 1 {
		t.Fatalf("template.yaml has %d dashboards, want 1", len(dashboards))
	}
	d := dashboards[0]
	body, ok := samtemplate.Lookup(d.Properties["DashboardBody"], "Fn::Sub")
	src, isString := body.(string)
	if !ok || !isString {
		t.Fatalf("template.yaml:%d: %s's DashboardBody is not !Sub of a string", d.Line, d.LogicalID)
	}
	// Substitute as CloudFormation would, with the namespace's default
	// and a stand-in for every other name.
	substituted := subVariable.ReplaceAllStringFunc(src, func(v string) string {
		name := subVariable.FindStringSubmatch(v)[1]
		if name == "MetricsNamespace" {
			return metrics.DefaultNamespace
		}
		// TestReferencesResolve checks that each names something.
		return "x"
	})
	var dash struct {
		Widgets []struct {
			Type       string
			Properties struct {
				Region  string
				Metrics [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(substituted), &dash); err != nil {
		t.Fatalf("template.yaml:%d: the dashboard's body is not JSON once substituted: %v\n%s", d.Line, err, substituted)
	}
	graphed := map[string]bool{}
	for i, w := range dash.Widgets {
		if w.Type != "metric" {
			continue
		}
		if w.Properties.Region == "" {
			t.Errorf("widget %d has no region", i)
		}
		for _, m := range w.Properties.Metrics {
			if len(m) >= 2 && m[0] == metrics.DefaultNamespace {
				graphed[m[1].(string)] = true
			}
			for _, part := range m {
				obj, _ := part.(map[string]any)
				expr, _ := obj["expression"].(string)
				if s := searchMetric.FindStringSubmatch(expr); s != nil && s[1] == metrics.DefaultNamespace {
					graphed[s[2]] = true
				}
			}
		}
	}
	for _, name := range metrics.Names() {
		if !graphed[name] {
			t.Errorf("the dashboard does not graph %s, which internal/metrics writes", name)
		}
	}
	for name := range graphed {
		if !slices.Contains(metrics.Names(), name) {
			t.Errorf("the dashboard graphs %s, which internal/metrics never writes", name)
		}
	}
}

// TestAlarmsOnOwnMetricsMatchTheCode checks that the alarms on the
// service's own metrics name metrics internal/metrics writes, with the
// dimension it writes them with, in the namespace the functions use: an
// alarm on a metric nobody writes would never fire.
func TestAlarmsOnOwnMetricsMatchTheCode(t *testing.T) {
	found := map[string]bool{}
	for _, a := range alarms(t) {
		ns, isRef := samtemplate.Ref(a.props["Namespace"])
		if !isRef || ns != "MetricsNamespace" {
			continue
		}
		found[a.metric] = true
		if !slices.Contains(metrics.Names(), a.metric) {
			t.Errorf("template.yaml:%d: alarm %s watches %s, which internal/metrics never writes", a.line, a.id, a.metric)
		}
		if want := map[string]any{metrics.DimOperation: metrics.OpDeliverActivity}; !cmp.Equal(a.dimensions, want) {
			t.Errorf("template.yaml:%d: alarm %s has dimensions %v, want %v", a.line, a.id, a.dimensions, want)
		}
	}
	for _, name := range []string{metrics.EmailsRejected, metrics.EventsRejected} {
		if !found[name] {
			t.Errorf("no alarm watches %s: a message refused for good is never retried, so nobody would hear of it", name)
		}
	}
}

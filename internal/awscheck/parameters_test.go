package awscheck_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// placeholder marks samconfig.toml's sample values.
const placeholder = "YOUR-"

// parameterCheck is what infra/awscheck/parameters.py prints.
type parameterCheck struct {
	Parameters map[string]struct {
		HasDefault            bool
		ConstraintDescription string
	}
	Samconfig, Given []struct {
		Name, Value, Refusal string
	}
}

// TestPlaceholdersRefused checks, with template.yaml's own constraints
// evaluated as CloudFormation would (Python's re, like Java's regular
// expressions, has the negative lookahead the patterns use; Go's RE2 has
// not), that a deploy with samconfig.toml's sample values fails at once:
// every parameter without a default has a YOUR-... placeholder there, every
// placeholder is refused, and its ConstraintDescription says what to set.
// The other sample values, and the realistic values the moto test deploys
// with, are accepted.
func TestPlaceholdersRefused(t *testing.T) {
	requireTools(t)
	t.Parallel()
	out := run(t, time.Minute, python, append([]string{"infra/awscheck/parameters.py", "template.yaml", "samconfig.toml"}, deployParameters...)...)
	var got parameterCheck
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("parameters.py output: %v\n%s", err, out)
	}
	sample := map[string]string{}
	for _, c := range got.Samconfig {
		sample[c.Name] = c.Value
		switch {
		case c.Refusal == "not a parameter":
			t.Errorf("samconfig.toml sets %s, which is not a parameter of template.yaml", c.Name)
		case strings.Contains(c.Value, placeholder) && c.Refusal == "":
			t.Errorf("samconfig.toml's placeholder %s=%s is accepted by template.yaml, so a deploy with it would not fail", c.Name, c.Value)
		case strings.Contains(c.Value, placeholder):
			desc := got.Parameters[c.Name].ConstraintDescription
			if !strings.Contains(desc, "must be set to") || !strings.Contains(desc, "samconfig.toml") {
				t.Errorf("%s's ConstraintDescription %q does not say what to set instead of samconfig.toml's placeholder", c.Name, desc)
			}
			t.Logf("%s=%s is refused: %s", c.Name, c.Value, c.Refusal)
		case c.Refusal != "":
			t.Errorf("samconfig.toml's %s=%s %s", c.Name, c.Value, c.Refusal)
		}
	}
	for _, name := range sortedKeys(got.Parameters) {
		if v, ok := sample[name]; !got.Parameters[name].HasDefault && (!ok || !strings.Contains(v, placeholder)) {
			t.Errorf("%s has no default, but samconfig.toml gives it no %s placeholder (%q)", name, placeholder, v)
		}
	}
	for _, c := range got.Given {
		if c.Refusal != "" {
			t.Errorf("the realistic value %s=%s %s", c.Name, c.Value, c.Refusal)
		}
	}
}

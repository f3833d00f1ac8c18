package awscheck_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// lintCanary is a template with a known error, linted with template.yaml.
const lintCanary = "internal/awscheck/testdata/lint-canary.yaml"

// TestCfnLint runs cfn-lint once, on template.yaml and on a template with a
// known error: template.yaml must have no finding at all (error, warning or
// informational), and the canary must have its error, which shows cfn-lint
// really checked the files.
func TestCfnLint(t *testing.T) {
	requireTools(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "cfn-lint", "--format", "parseable", "template.yaml", lintCanary)
	cmd.Dir = repoRoot
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	// cfn-lint exits with a bit per kind of finding (2 errors, 4 warnings,
	// 8 informational), so an exit status alone says nothing here: the
	// findings are read from its output, one per line.
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("cfn-lint: %v\n%s", err, stderr.String())
	}
	canaryFound := false
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, lintCanary+":"):
			if strings.Contains(line, ":E1020:") {
				canaryFound = true
			}
		default:
			t.Errorf("cfn-lint: %s", line)
		}
	}
	if !canaryFound {
		t.Errorf("cfn-lint did not report the canary's E1020 (a Ref to nothing) in %s, so it may not have checked anything:\n%s%s", lintCanary, stdout.String(), stderr.String())
	}
}

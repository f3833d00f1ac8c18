package awscheck_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the repository root seen from this package's directory, where
// go test runs the tests.
const repoRoot = "../.."

// python is the interpreter the CI image ships the tools for.
const python = "python3.11"

// requireVar, when set, turns a missing tool into a failure: `make test`
// sets it, so that CI cannot pass without running these checks.
const requireVar = "REQUIRE_AWS_TOOLS"

// installHint says how to get the tools on a machine without them.
const installHint = python + " -m pip install -r infra/awscheck/requirements.txt"

// toolsState is what a look for the tools found, once per test binary.
var toolsState struct {
	once     sync.Once
	missing  []string
	versions map[string]string
}

// requireTools skips the test when python3.11, its cfn-lint,
// aws-sam-translator, moto or boto3, or the cfn-lint command, is missing,
// naming what is; under REQUIRE_AWS_TOOLS it fails instead.
func requireTools(t *testing.T) {
	t.Helper()
	toolsState.once.Do(func() {
		if _, err := exec.LookPath(python); err != nil {
			toolsState.missing = append(toolsState.missing, python+" (not on PATH)")
			return
		}
		if _, err := exec.LookPath("cfn-lint"); err != nil {
			toolsState.missing = append(toolsState.missing, "the cfn-lint command (not on PATH)")
		}
		cmd := exec.Command(python, "infra/awscheck/versions.py")
		cmd.Dir = repoRoot
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, _ := cmd.Output()
		var report struct {
			Versions map[string]string
			Missing  []string
		}
		if err := json.Unmarshal(out, &report); err != nil {
			toolsState.missing = append(toolsState.missing, "a working "+python+" (infra/awscheck/versions.py: "+strings.TrimSpace(stderr.String())+")")
			return
		}
		toolsState.missing = append(toolsState.missing, report.Missing...)
		toolsState.versions = report.Versions
	})
	if len(toolsState.missing) == 0 {
		return
	}
	msg := "missing AWS tools: " + strings.Join(toolsState.missing, "; ") + " (install with: " + installHint + ")"
	if os.Getenv(requireVar) != "" {
		t.Fatal(msg + "; " + requireVar + " is set, so they are required")
	}
	t.Skip(msg + "; skipping (set " + requireVar + "=1 to fail instead, as make test does)")
}

// run runs a command from the repository root and returns its standard
// output; it fails the test, showing standard error, if the command fails.
func run(t *testing.T, timeout time.Duration, name string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = repoRoot
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}

// codeURI is where every function's code is said to be, as `sam package`
// would have uploaded it; the moto test creates this bucket and key.
const codeURI = "s3://awscheck-code/functions.zip"

// deployParameters are values a real deployment could use. AlarmEmail and
// SesConfigurationSet are set too, so that every condition of the template
// is true and every resource is expected in the stack.
var deployParameters = []string{
	"Stage=dev",
	"JwtIssuer=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
	"JwtAudience=4example5client6id7abcdefgh",
	"JwtScope=usermanagement/api",
	"FrontendOrigin=https://users.businessapp.example.com",
	"SenderEmail=no-reply@businessapp.example.com",
	"SenderIdentity=businessapp.example.com",
	"AppBaseUrl=https://app.businessapp.example.com",
	"AlarmEmail=oncall@businessapp.example.com",
	"SesConfigurationSet=usermanagement-dev",
}

// cfnTemplate is what the checks read of a CloudFormation template.
type cfnTemplate struct {
	Parameters map[string]struct{ Default any }
	Resources  map[string]cfnResource
}

// resolveParameters returns v with every {"Ref": <parameter>} replaced by
// the parameter's value in the deployment: its deployParameters value, or
// else its default, as CloudFormation resolves it.
func (c cfnTemplate) resolveParameters(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if p, ok := c.Parameters[ref]; ok {
				for _, kv := range deployParameters {
					if name, value, _ := strings.Cut(kv, "="); name == ref {
						return value
					}
				}
				return p.Default
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = c.resolveParameters(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = c.resolveParameters(e)
		}
		return out
	}
	return v
}

type cfnResource struct {
	Type           string
	Condition      string
	DeletionPolicy string
	Properties     map[string]any
}

// ofType returns the logical ids of the template's resources of a type.
func (c cfnTemplate) ofType(typ string) []string {
	var ids []string
	for id, r := range c.Resources {
		if r.Type == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

// transformedState is template.yaml transformed once per test binary.
var transformedState struct {
	once sync.Once
	raw  []byte
	err  string
}

// transformed returns template.yaml as aws-sam-translator transforms it
// with deployParameters, the JSON and its decoding.
func transformed(t *testing.T) ([]byte, cfnTemplate) {
	t.Helper()
	requireTools(t)
	transformedState.once.Do(func() {
		dir, err := os.MkdirTemp("", "awscheck")
		if err != nil {
			transformedState.err = err.Error()
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "transformed.json")
		args := append([]string{"infra/awscheck/transform.py", "template.yaml", out, codeURI}, deployParameters...)
		cmd := exec.Command(python, args...)
		cmd.Dir = repoRoot
		if msg, err := cmd.CombinedOutput(); err != nil {
			transformedState.err = "aws-sam-translator could not transform template.yaml: " + err.Error() + "\n" + string(msg)
			return
		}
		transformedState.raw, err = os.ReadFile(out)
		if err != nil {
			transformedState.err = err.Error()
		}
	})
	if transformedState.err != "" {
		t.Fatal(transformedState.err)
	}
	var tmpl cfnTemplate
	if err := json.Unmarshal(transformedState.raw, &tmpl); err != nil {
		t.Fatalf("transformed template: %v", err)
	}
	return transformedState.raw, tmpl
}

package samtemplate_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/businessapp/usermanagement/internal/dynamo"
	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/samtemplate"
)

// repoRoot is the repository root seen from this package's directory, where
// go test runs the tests.
const repoRoot = "../.."

var loaded = sync.OnceValues(func() (*samtemplate.Template, error) {
	return samtemplate.Load(filepath.Join(repoRoot, "template.yaml"))
})

// deployed returns the repository's template.yaml.
func deployed(t *testing.T) *samtemplate.Template {
	t.Helper()
	tmpl, err := loaded()
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// functionsByID returns the template's functions by logical id.
func functionsByID(t *testing.T) map[string]samtemplate.Function {
	t.Helper()
	fns, err := deployed(t).Functions()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]samtemplate.Function, len(fns))
	for _, f := range fns {
		out[f.LogicalID] = f
	}
	return out
}

// logicalID is the logical id the function of a route must have.
func logicalID(r httpapi.Route) string { return r.Operation + "Function" }

// routesByID returns the route table by the logical id of each route's
// function.
func routesByID() map[string]httpapi.Route {
	out := map[string]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		out[logicalID(r)] = r
	}
	return out
}

// sortedKeys returns the keys of m in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

type routeKey struct{ method, path string }

func (k routeKey) String() string { return k.method + " " + k.path }

// TestRoutesMatchTemplate checks that template.yaml routes exactly the
// requests of the route table: each route by exactly one function, nothing
// else, and each function one route.
func TestRoutesMatchTemplate(t *testing.T) {
	fns := functionsByID(t)
	routes := map[routeKey]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		routes[routeKey{r.Method, r.Path}] = r
	}
	served := map[routeKey][]string{}
	for _, id := range sortedKeys(fns) {
		f := fns[id]
		if len(f.Events) != 1 {
			t.Errorf("template.yaml:%d: %s has %d HttpApi events, want 1: each function serves one route", f.Line, id, len(f.Events))
		}
		for _, name := range f.OtherEvents {
			t.Errorf("template.yaml:%d: %s has event %s, which is not of type HttpApi; the route table has no such trigger", f.Line, id, name)
		}
		for _, ev := range f.Events {
			k := routeKey{ev.Method, ev.Path}
			served[k] = append(served[k], id)
			if _, ok := routes[k]; ok {
				continue
			}
			msg := fmt.Sprintf("template.yaml:%d: %s event %s routes %q, which is not a route of internal/httpapi", f.Line, id, ev.Name, k)
			if r, ok := routesByID()[id]; ok {
				msg += fmt.Sprintf(" (route %s is %q)", r.Operation, routeKey{r.Method, r.Path})
			}
			t.Error(msg)
		}
	}
	for _, r := range httpapi.Routes() {
		k := routeKey{r.Method, r.Path}
		switch ids := served[k]; len(ids) {
		case 0:
			t.Errorf("route %s (%s): no function in template.yaml has an HttpApi event with Method %s and Path %s", r.Operation, k, r.Method, r.Path)
		case 1:
		default:
			t.Errorf("route %s (%s) is routed to %d functions (%s); API Gateway allows one", r.Operation, k, len(ids), strings.Join(ids, ", "))
		}
	}
}

// TestFunctionLogicalIDs checks that each route's function is named
// Operation + "Function", and that every function is named for an operation.
func TestFunctionLogicalIDs(t *testing.T) {
	fns := functionsByID(t)
	byID := routesByID()
	for _, r := range httpapi.Routes() {
		want := logicalID(r)
		for _, id := range sortedKeys(fns) {
			for _, ev := range fns[id].Events {
				if ev.Method == r.Method && ev.Path == r.Path && id != want {
					t.Errorf("template.yaml:%d: %s serves route %s (%s %s); its logical id must be %s (Operation + \"Function\")", fns[id].Line, id, r.Operation, r.Method, r.Path, want)
				}
			}
		}
		if _, ok := fns[want]; !ok {
			t.Errorf("template.yaml has no function %s for route %s (%s %s)", want, r.Operation, r.Method, r.Path)
		}
	}
	for _, id := range sortedKeys(fns) {
		if _, ok := byID[id]; !ok {
			t.Errorf("template.yaml:%d: function %s is not <Operation>Function for any operation of internal/httpapi (%s)", fns[id].Line, id, strings.Join(sortedKeys(byID), ", "))
		}
	}
}

// TestFunctionFolders checks that every folder under functions/ is deployed
// by a function of template.yaml, and every function's folder exists. A
// function's folder is the Function of its route.
func TestFunctionFolders(t *testing.T) {
	fns := functionsByID(t)
	entries, err := os.ReadDir(filepath.Join(repoRoot, "functions"))
	if err != nil {
		t.Fatal(err)
	}
	folders := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			folders[e.Name()] = true
		}
	}
	byFolder := map[string]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		byFolder[r.Function] = r
	}
	for _, dir := range sortedKeys(folders) {
		r, ok := byFolder[dir]
		switch {
		case !ok:
			t.Errorf("functions/%s has no function in template.yaml: no route of internal/httpapi has it as its Function", dir)
		case fns[logicalID(r)].LogicalID == "":
			t.Errorf("functions/%s (route %s) has no function %s in template.yaml", dir, r.Operation, logicalID(r))
		}
	}
	byID := routesByID()
	for _, id := range sortedKeys(fns) {
		r, ok := byID[id]
		switch {
		case !ok:
			t.Errorf("template.yaml:%d: %s has no folder under functions/: no route of internal/httpapi has operation %s", fns[id].Line, id, strings.TrimSuffix(id, "Function"))
		case !folders[r.Function]:
			t.Errorf("template.yaml:%d: %s is built from functions/%s (route %s), which does not exist", fns[id].Line, id, r.Function, r.Operation)
		}
	}
}

// makeTarget is a build-<LogicalId> rule of the Makefile.
type makeTarget struct {
	line    int
	prereqs string
}

// buildTargetRule matches a rule line "build-<LogicalId>: prerequisites"
// (and not a variable assignment "build-x := ...").
var buildTargetRule = regexp.MustCompile(`^build-([A-Za-z0-9]+):(?:$|[^=](.*))`)

// makefileBuildTargets reads the build-<LogicalId> rules the Makefile
// declares, by logical id.
func makefileBuildTargets(t *testing.T) map[string]makeTarget {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]makeTarget{}
	for i, line := range strings.Split(string(data), "\n") {
		if m := buildTargetRule.FindStringSubmatch(line); m != nil {
			out[m[1]] = makeTarget{line: i + 1, prereqs: strings.TrimSpace(strings.TrimPrefix(line, "build-"+m[1]+":"))}
		}
	}
	return out
}

// TestMakefileBuildTargets checks that the Makefile has the build-<LogicalId>
// target sam build runs for each function, building the function's folder,
// and that each function is set up for that build.
func TestMakefileBuildTargets(t *testing.T) {
	fns := functionsByID(t)
	targets := makefileBuildTargets(t)
	byID := routesByID()
	for _, id := range sortedKeys(fns) {
		f := fns[id]
		target, ok := targets[id]
		if !ok {
			t.Errorf("Makefile has no target build-%s, which sam build runs for %s (template.yaml:%d)", id, id, f.Line)
		} else if r, ok := byID[id]; ok && target.prereqs != "lambda-artifact/"+r.Function {
			t.Errorf("Makefile:%d: build-%s depends on %q, want lambda-artifact/%s (the folder of route %s)", target.line, id, target.prereqs, r.Function, r.Operation)
		}
		// sam build runs the Makefile found in CodeUri, the repository root.
		if f.CodeURI != "./" && f.CodeURI != "." {
			t.Errorf("template.yaml:%d: %s has CodeUri %q, want ./ (the folder of the Makefile)", f.Line, id, f.CodeURI)
		}
		if f.BuildMethod != "makefile" {
			t.Errorf("template.yaml:%d: %s has Metadata.BuildMethod %q, want makefile", f.Line, id, f.BuildMethod)
		}
		// The Makefile builds a linux/arm64 binary named bootstrap.
		if f.Runtime != "provided.al2023" || f.Handler != "bootstrap" || !slices.Equal(f.Architectures, []string{"arm64"}) {
			t.Errorf("template.yaml:%d: %s has Runtime %q, Handler %q, Architectures %q; the Makefile builds for provided.al2023, bootstrap, [arm64]", f.Line, id, f.Runtime, f.Handler, f.Architectures)
		}
	}
	for _, id := range sortedKeys(targets) {
		if _, ok := fns[id]; !ok {
			t.Errorf("Makefile:%d: build-%s is not the build target of any function of template.yaml", targets[id].line, id)
		}
	}
}

// TestMakefileBuildTargetsResolve asks make what each build-<LogicalId>
// target would run, so that a target whose text looks right but that make
// cannot build (a broken pattern rule, say) fails here and not in sam build.
func TestMakefileBuildTargetsResolve(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make is not installed")
	}
	fns := functionsByID(t)
	targets := makefileBuildTargets(t)
	byID := routesByID()
	for _, id := range sortedKeys(fns) {
		r, ok := byID[id]
		if _, hasTarget := targets[id]; !ok || !hasTarget {
			continue // reported by the tests above
		}
		artifacts := filepath.Join(t.TempDir(), id)
		cmd := exec.Command(makeBin, "--dry-run", "build-"+id, "ARTIFACTS_DIR="+artifacts)
		cmd.Dir = repoRoot
		// A parent make's flags (a jobserver, --dry-run) must not leak in.
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "MAKEFLAGS=") || strings.HasPrefix(kv, "MFLAGS=") || strings.HasPrefix(kv, "MAKELEVEL=")
		})
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("make --dry-run build-%s failed: %v\n%s", id, err, out)
			continue
		}
		for _, want := range []string{"./functions/" + r.Function, filepath.Join(artifacts, "bootstrap")} {
			if !strings.Contains(string(out), want) {
				t.Errorf("make --dry-run build-%s does not mention %s:\n%s", id, want, out)
			}
		}
	}
}

// envReads scans the module's packages that the functions are built from
// for os.Getenv and os.LookupEnv calls. It returns the variables read, and
// the places outside internal/lambdaenv that read any.
func envReads(t *testing.T) (read map[string][]string, elsewhere []string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed to list the functions' packages:", err)
	}
	format := `{{if .Module}}{{if .Module.Main}}{{.ImportPath}}{{"\t"}}{{.Dir}}{{"\t"}}{{join .GoFiles ","}}{{end}}{{end}}`
	cmd := exec.Command(goBin, "list", "-deps", "-tags", "lambda.norpc", "-f", format, "./functions/...")
	cmd.Dir = repoRoot
	// The packages and files of the deployed build, as the Makefile builds it.
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	read = map[string][]string{}
	fset := token.NewFileSet()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) != 3 || fields[2] == "" {
			continue
		}
		importPath, dir := fields[0], fields[1]
		var files []*ast.File
		consts := map[string]string{}
		for _, name := range strings.Split(fields[2], ",") {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
			for _, decl := range f.Decls {
				if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.CONST {
					for _, spec := range gd.Specs {
						vs := spec.(*ast.ValueSpec)
						for i, n := range vs.Names {
							if i < len(vs.Values) {
								if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
									consts[n.Name], _ = strconv.Unquote(lit.Value)
								}
							}
						}
					}
				}
			}
		}
		for _, f := range files {
			osName := ""
			for _, imp := range f.Imports {
				if imp.Path.Value == `"os"` {
					osName = "os"
					if imp.Name != nil {
						osName = imp.Name.Name
					}
				}
			}
			if osName == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 1 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
					return true
				}
				if x, ok := sel.X.(*ast.Ident); !ok || x.Name != osName {
					return true
				}
				pos := fset.Position(call.Pos())
				if rel, err := filepath.Rel(root, pos.Filename); err == nil {
					pos.Filename = rel
				}
				var name string
				switch arg := call.Args[0].(type) {
				case *ast.BasicLit:
					name, _ = strconv.Unquote(arg.Value)
				case *ast.Ident:
					name = consts[arg.Name]
				}
				if name == "" {
					t.Errorf("%s: reads an environment variable this test cannot name; pass a string constant of the package", pos)
					return true
				}
				read[name] = append(read[name], pos.String())
				if !strings.HasSuffix(importPath, "/internal/lambdaenv") {
					elsewhere = append(elsewhere, fmt.Sprintf("%s reads %s", pos, name))
				}
				return true
			})
		}
	}
	return read, elsewhere
}

// TestEnvironment checks that every function is given exactly the
// environment variables the deployed code reads.
func TestEnvironment(t *testing.T) {
	read, elsewhere := envReads(t)
	for _, e := range elsewhere {
		t.Errorf("%s; deployed code reads environment variables only in internal/lambdaenv", e)
	}
	// The scan must at least find the variable we know is read, or it
	// would pass by seeing nothing.
	if _, ok := read[lambdaenv.EnvTableName]; !ok {
		t.Fatalf("the scan found no read of lambdaenv.EnvTableName (%s); it found %v", lambdaenv.EnvTableName, read)
	}
	tables := deployed(t).OfType(samtemplate.TypeTable)
	fns := functionsByID(t)
	for _, id := range sortedKeys(fns) {
		f := fns[id]
		for _, name := range sortedKeys(read) {
			if _, ok := f.Environment[name]; !ok {
				t.Errorf("template.yaml:%d: %s does not set %s, which the code reads (%s)", f.Line, id, name, strings.Join(read[name], ", "))
			}
		}
		for _, name := range sortedKeys(f.Environment) {
			if _, ok := read[name]; !ok {
				t.Errorf("template.yaml:%d: %s sets %s, which the code never reads", f.Line, id, name)
			}
		}
		if v, ok := f.Environment[lambdaenv.EnvTableName]; ok && len(tables) == 1 {
			if ref, _ := samtemplate.Ref(v); ref != tables[0].LogicalID {
				t.Errorf("template.yaml:%d: %s sets %s to %v, want !Ref %s", f.Line, id, lambdaenv.EnvTableName, v, tables[0].LogicalID)
			}
		}
	}
}

// TestTable checks the template's table against dynamo.TableDefinition, the
// table the code expects and the local stack creates.
func TestTable(t *testing.T) {
	tables, err := deployed(t).Tables()
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 {
		var ids []string
		for _, tb := range tables {
			ids = append(ids, tb.LogicalID)
		}
		t.Fatalf("template.yaml declares %d DynamoDB tables (%s); the service has exactly one", len(tables), strings.Join(ids, ", "))
	}
	got := tables[0]
	want := dynamo.TableDefinition("users")
	where := fmt.Sprintf("template.yaml:%d: %s", got.Line, got.LogicalID)

	wantAttrs := map[string]bool{}
	for _, a := range want.AttributeDefinitions {
		wantAttrs[fmt.Sprintf("%s (%s)", *a.AttributeName, a.AttributeType)] = true
	}
	gotAttrs := map[string]bool{}
	for _, a := range got.AttributeDefinitions {
		gotAttrs[fmt.Sprintf("%s (%s)", a.Name, a.Type)] = true
	}
	for _, a := range sortedKeys(wantAttrs) {
		if !gotAttrs[a] {
			t.Errorf("%s lacks attribute definition %s", where, a)
		}
	}
	for _, a := range sortedKeys(gotAttrs) {
		if !wantAttrs[a] {
			t.Errorf("%s has attribute definition %s, which dynamo.TableDefinition does not", where, a)
		}
	}

	var wantKeys, gotKeys []string
	for _, k := range want.KeySchema {
		wantKeys = append(wantKeys, fmt.Sprintf("%s %s", *k.AttributeName, k.KeyType))
	}
	for _, k := range got.KeySchema {
		gotKeys = append(gotKeys, fmt.Sprintf("%s %s", k.Name, k.KeyType))
	}
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("%s has KeySchema %q, want %q", where, gotKeys, wantKeys)
	}

	if got.BillingMode != string(want.BillingMode) {
		t.Errorf("%s has BillingMode %s, want %s", where, got.BillingMode, want.BillingMode)
	}

	wantStream := ""
	if s := want.StreamSpecification; s != nil && s.StreamEnabled != nil && *s.StreamEnabled {
		wantStream = string(s.StreamViewType)
	}
	if got.StreamViewType != wantStream {
		t.Errorf("%s has StreamSpecification.StreamViewType %q, want %q", where, got.StreamViewType, wantStream)
	}

	var wantGSI, gotGSI, wantLSI, gotLSI []string
	for _, ix := range want.GlobalSecondaryIndexes {
		wantGSI = append(wantGSI, fmt.Sprintf("%s %v %s", *ix.IndexName, keyList(ix.KeySchema), ix.Projection.ProjectionType))
	}
	for _, ix := range want.LocalSecondaryIndexes {
		wantLSI = append(wantLSI, fmt.Sprintf("%s %v %s", *ix.IndexName, keyList(ix.KeySchema), ix.Projection.ProjectionType))
	}
	for _, ix := range got.GlobalSecondaryIndexes {
		gotGSI = append(gotGSI, fmt.Sprintf("%s %v %s", ix.Name, ix.KeySchema, ix.ProjectionType))
	}
	for _, ix := range got.LocalSecondaryIndexes {
		gotLSI = append(gotLSI, fmt.Sprintf("%s %v %s", ix.Name, ix.KeySchema, ix.ProjectionType))
	}
	if d := cmp.Diff(wantGSI, gotGSI); d != "" {
		t.Errorf("%s global secondary indexes differ from dynamo.TableDefinition (-want +got):\n%s", where, d)
	}
	if d := cmp.Diff(wantLSI, gotLSI); d != "" {
		t.Errorf("%s local secondary indexes differ from dynamo.TableDefinition (-want +got):\n%s", where, d)
	}

	if v, _ := samtemplate.Lookup(got.Properties, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"); v != true {
		t.Errorf("%s has no point-in-time recovery (PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled: true)", where)
	}
}

// keyList converts a key schema of the SDK to the template's form, so the
// two print alike.
func keyList(keys []types.KeySchemaElement) []samtemplate.KeyElement {
	out := make([]samtemplate.KeyElement, 0, len(keys))
	for _, k := range keys {
		out = append(out, samtemplate.KeyElement{Name: *k.AttributeName, KeyType: string(k.KeyType)})
	}
	return out
}

// DynamoDB actions by what the functions need. A TransactWriteItems call is
// authorised by the actions it contains (ConditionCheck, Put, Delete); IAM
// has no dynamodb:TransactWriteItems action.
var (
	readActions  = []string{"dynamodb:GetItem", "dynamodb:Query"}
	writeActions = []string{"dynamodb:GetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}
	// mutatingActions are the DynamoDB actions that change items.
	mutatingActions = []string{
		"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
		"dynamodb:ConditionCheckItem", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
	}
)

// isWildcard reports whether an IAM action pattern matches more than one
// action.
func isWildcard(action string) bool { return strings.ContainsAny(action, "*?") }

// containsFold reports whether list holds s; IAM action names are
// case-insensitive.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(e string) bool { return strings.EqualFold(e, s) })
}

// TestReadOnlyFunctionsCannotWrite checks that no policy of a read-only
// route's function allows a write, directly or through a wildcard.
func TestReadOnlyFunctionsCannotWrite(t *testing.T) {
	fns := functionsByID(t)
	for _, r := range httpapi.Routes() {
		f, ok := fns[logicalID(r)]
		if !r.ReadOnly || !ok {
			continue
		}
		where := fmt.Sprintf("template.yaml:%d: %s (read-only route %s)", f.Line, f.LogicalID, r.Operation)
		for i, p := range f.Policies {
			if p.Opaque != "" {
				t.Errorf("%s: Policies[%d] is a %s, whose actions cannot be checked; write an inline Statement", where, i, p.Opaque)
			}
			for _, st := range p.Statements {
				if st.Effect != "Allow" {
					continue
				}
				if len(st.NotActions) > 0 {
					t.Errorf("%s: Policies[%d] allows NotAction %q, that is every other action, writes included", where, i, st.NotActions)
				}
				for _, a := range st.Actions {
					switch {
					case isWildcard(a):
						t.Errorf("%s: Policies[%d] allows wildcard action %s", where, i, a)
					case containsFold(mutatingActions, a):
						t.Errorf("%s: Policies[%d] allows write action %s", where, i, a)
					}
				}
			}
		}
	}
}

// TestFunctionPolicies checks that each function is allowed exactly the
// DynamoDB actions its route needs, on the table only.
func TestFunctionPolicies(t *testing.T) {
	fns := functionsByID(t)
	tables := deployed(t).OfType(samtemplate.TypeTable)
	for _, r := range httpapi.Routes() {
		f, ok := fns[logicalID(r)]
		if !ok {
			continue // reported by TestFunctionLogicalIDs
		}
		where := fmt.Sprintf("template.yaml:%d: %s", f.Line, f.LogicalID)
		want := writeActions
		if r.ReadOnly {
			want = readActions
		}
		var allowed []string
		for i, p := range f.Policies {
			if p.Opaque != "" {
				t.Errorf("%s: Policies[%d] is a %s, whose actions cannot be checked; write an inline Statement", where, i, p.Opaque)
			}
			for _, st := range p.Statements {
				if st.Effect != "Allow" {
					continue
				}
				allowed = append(allowed, st.Actions...)
				for _, res := range st.Resources {
					if id, attr, ok := samtemplate.GetAtt(res); !ok || attr != "Arn" || len(tables) != 1 || id != tables[0].LogicalID {
						t.Errorf("%s: Policies[%d] allows %q on %v, which is not the table (!GetAtt <table>.Arn)", where, i, st.Actions, res)
					}
				}
				if len(st.Resources) == 0 {
					t.Errorf("%s: Policies[%d] allows %q without a Resource", where, i, st.Actions)
				}
			}
		}
		for _, a := range want {
			if !containsFold(allowed, a) {
				t.Errorf("%s lacks %s, which route %s needs", where, a, r.Operation)
			}
		}
		for _, a := range allowed {
			if !containsFold(want, a) {
				t.Errorf("%s allows %s, which route %s does not need", where, a, r.Operation)
			}
		}
	}
}

// TestRoutesRequireJWT checks that every route is on an HTTP API whose
// default authorizer verifies the JWT, and that no route opts out of it.
func TestRoutesRequireJWT(t *testing.T) {
	tmpl := deployed(t)
	apis := map[string]samtemplate.HTTPAPI{}
	for _, api := range tmpl.HTTPAPIs() {
		apis[api.LogicalID] = api
		where := fmt.Sprintf("template.yaml:%d: %s", api.Line, api.LogicalID)
		def, _ := samtemplate.Lookup(api.Properties, "Auth", "DefaultAuthorizer")
		name, _ := def.(string)
		if name == "" {
			t.Errorf("%s has no Auth.DefaultAuthorizer", where)
			continue
		}
		auth, ok := samtemplate.Lookup(api.Properties, "Auth", "Authorizers", name)
		if !ok {
			t.Errorf("%s: default authorizer %s is not among Auth.Authorizers", where, name)
			continue
		}
		if src, _ := samtemplate.Lookup(auth, "IdentitySource"); src != "$request.header.Authorization" {
			t.Errorf("%s: authorizer %s has IdentitySource %v, want $request.header.Authorization", where, name, src)
		}
		issuer, _ := samtemplate.Lookup(auth, "JwtConfiguration", "issuer")
		if ref, _ := samtemplate.Ref(issuer); ref != "JwtIssuer" {
			t.Errorf("%s: authorizer %s has issuer %v, want !Ref JwtIssuer", where, name, issuer)
		}
		audience, _ := samtemplate.Lookup(auth, "JwtConfiguration", "audience")
		list, _ := audience.([]any)
		if !slices.ContainsFunc(list, func(v any) bool { ref, _ := samtemplate.Ref(v); return ref == "JwtAudience" }) {
			t.Errorf("%s: authorizer %s has audience %v, want [!Ref JwtAudience]", where, name, audience)
		}
	}
	fns := functionsByID(t)
	for _, id := range sortedKeys(fns) {
		for _, ev := range fns[id].Events {
			where := fmt.Sprintf("template.yaml:%d: %s event %s", fns[id].Line, id, ev.Name)
			ref, ok := samtemplate.Ref(ev.APIID)
			if !ok {
				t.Errorf("%s has no ApiId: !Ref <HttpApi>; SAM would put the route on an implicit API without the JWT authorizer", where)
				continue
			}
			if _, ok := apis[ref]; !ok {
				t.Errorf("%s has ApiId !Ref %s, which is not an %s", where, ref, samtemplate.TypeHTTPAPI)
			}
			if a, ok := ev.Auth["Authorizer"]; ok {
				t.Errorf("%s overrides the authorizer with %v; every route uses the API's default JWT authorizer", where, a)
			}
		}
	}
}

// pseudoParameters are the names CloudFormation defines in every template.
var pseudoParameters = []string{
	"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
	"AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

// subVariable matches a ${Name} or ${Resource.Attribute} of Fn::Sub; ${!...}
// is a literal.
var subVariable = regexp.MustCompile(`\$\{([^!}][^}]*)\}`)

// TestReferencesResolve checks that every Ref, Fn::GetAtt and Fn::Sub
// variable names a parameter or resource of the template, and that every
// parameter is used: mistakes CloudFormation would only report on deploy.
func TestReferencesResolve(t *testing.T) {
	tmpl := deployed(t)
	declared := map[string]bool{}
	for _, p := range pseudoParameters {
		declared[p] = true
	}
	for name := range tmpl.Parameters {
		declared[name] = true
	}
	for id := range tmpl.Resources {
		declared[id] = true
	}
	used := map[string]bool{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case map[string]any:
			if ref, ok := samtemplate.Ref(v); ok {
				used[ref] = true
				if !declared[ref] {
					t.Errorf("%s: !Ref %s names no parameter or resource", path, ref)
				}
				return
			}
			if id, attr, ok := samtemplate.GetAtt(v); ok {
				if _, ok := tmpl.Resources[id]; !ok {
					t.Errorf("%s: !GetAtt %s.%s names no resource", path, id, attr)
				}
				return
			}
			if sub, ok := v["Fn::Sub"]; ok && len(v) == 1 {
				text, vars := sub, map[string]any(nil)
				if args, ok := sub.([]any); ok && len(args) == 2 {
					text = args[0]
					vars, _ = args[1].(map[string]any)
					walk(path+".Fn::Sub[1]", args[1])
				}
				s, _ := text.(string)
				for _, m := range subVariable.FindAllStringSubmatch(s, -1) {
					name, _, _ := strings.Cut(m[1], ".")
					if _, ok := vars[m[1]]; ok {
						continue
					}
					used[name] = true
					if !declared[name] {
						t.Errorf("%s: !Sub variable ${%s} names no parameter or resource", path, m[1])
					}
				}
				return
			}
			for _, k := range sortedKeys(v) {
				walk(path+"."+k, v[k])
			}
		}
	}
	walk("Globals", tmpl.Globals)
	walk("Outputs", tmpl.Outputs)
	for _, id := range sortedKeys(tmpl.Resources) {
		r := tmpl.Resources[id]
		walk(fmt.Sprintf("template.yaml:%d: Resources.%s.Properties", r.Line, id), r.Properties)
	}
	for _, name := range sortedKeys(tmpl.Parameters) {
		if !used[name] {
			t.Errorf("parameter %s is declared but never used", name)
		}
	}
}

// TestParseShortForms checks that short-form intrinsic functions read as
// their long form.
func TestParseShortForms(t *testing.T) {
	tmpl, err := samtemplate.Parse([]byte(`
Resources:
  R:
    Type: Test::Resource
    Properties:
      Ref: !Ref Param
      GetAtt: !GetAtt Table.StreamArn
      GetAttDotted: !GetAtt Db.Endpoint.Address
      GetAttList: !GetAtt [Table, Arn]
      Sub: !Sub "${AWS::StackName}-x"
      SubList: !Sub ["${A}", {A: !Ref Param}]
      If: !If [Cond, !Ref Param, !Ref AWS::NoValue]
      Join: !Join [",", [a, b]]
      Select: !Select [0, !GetAZs ""]
      Split: !Split [",", "a,b"]
      Not: !Not [!Equals [!Ref Param, x]]
      Condition: !Condition Cond
      Base64: !Base64 text
      FindInMap: !FindInMap [M, K, V]
      ImportValue: !ImportValue exported
      Cidr: !Cidr ["10.0.0.0/16", 4, 8]
      Number: 128
      Bool: true
      Quoted: "true"
`))
	if err != nil {
		t.Fatal(err)
	}
	ref := func(name string) map[string]any { return map[string]any{"Ref": name} }
	want := map[string]any{
		"Ref":          ref("Param"),
		"GetAtt":       map[string]any{"Fn::GetAtt": []any{"Table", "StreamArn"}},
		"GetAttDotted": map[string]any{"Fn::GetAtt": []any{"Db", "Endpoint.Address"}},
		"GetAttList":   map[string]any{"Fn::GetAtt": []any{"Table", "Arn"}},
		"Sub":          map[string]any{"Fn::Sub": "${AWS::StackName}-x"},
		"SubList":      map[string]any{"Fn::Sub": []any{"${A}", map[string]any{"A": ref("Param")}}},
		"If":           map[string]any{"Fn::If": []any{"Cond", ref("Param"), ref("AWS::NoValue")}},
		"Join":         map[string]any{"Fn::Join": []any{",", []any{"a", "b"}}},
		"Select":       map[string]any{"Fn::Select": []any{0, map[string]any{"Fn::GetAZs": ""}}},
		"Split":        map[string]any{"Fn::Split": []any{",", "a,b"}},
		"Not":          map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{ref("Param"), "x"}}}},
		"Condition":    map[string]any{"Condition": "Cond"},
		"Base64":       map[string]any{"Fn::Base64": "text"},
		"FindInMap":    map[string]any{"Fn::FindInMap": []any{"M", "K", "V"}},
		"ImportValue":  map[string]any{"Fn::ImportValue": "exported"},
		"Cidr":         map[string]any{"Fn::Cidr": []any{"10.0.0.0/16", 4, 8}},
		"Number":       128,
		"Bool":         true,
		"Quoted":       "true",
	}
	if d := cmp.Diff(want, tmpl.Resources["R"].Properties); d != "" {
		t.Errorf("properties (-want +got):\n%s", d)
	}
}

// TestParseRejects checks that templates CloudFormation would reject, or
// that would hide a resource, do not parse.
func TestParseRejects(t *testing.T) {
	for name, src := range map[string]string{
		"unknown tag":        "Resources:\n  R:\n    Type: T\n    Properties:\n      X: !Reference Y\n",
		"repeated key":       "Resources:\n  R:\n    Type: T\n  R:\n    Type: U\n",
		"no resources":       "Parameters: {}\n",
		"resource type":      "Resources:\n  R:\n    Properties: {}\n",
		"GetAtt without dot": "Resources:\n  R:\n    Type: T\n    Properties:\n      X: !GetAtt Table\n",
	} {
		if _, err := samtemplate.Parse([]byte(src)); err == nil {
			t.Errorf("%s: Parse accepted\n%s", name, src)
		}
	}
}

// TestGlobals checks that Globals.Function applies to functions as the SAM
// transform applies it.
func TestGlobals(t *testing.T) {
	tmpl, err := samtemplate.Parse([]byte(`
Globals:
  Function:
    Runtime: provided.al2023
    MemorySize: 128
    Layers: [global]
    LoggingConfig:
      LogFormat: JSON
    Environment:
      Variables:
        A: a
        B: b
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      MemorySize: 256
      Layers: [local]
      LoggingConfig:
        LogGroup: !Ref Logs
      Environment:
        Variables:
          B: !Ref Table
          C: c
  G:
    Type: AWS::Serverless::Function
    Properties:
      Environment: !Ref NoValueHere
`))
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	f, g := fns[0].Properties, fns[1].Properties
	wantF := map[string]any{
		"Runtime":       "provided.al2023",
		"MemorySize":    256,
		"Layers":        []any{"global", "local"},
		"LoggingConfig": map[string]any{"LogFormat": "JSON", "LogGroup": map[string]any{"Ref": "Logs"}},
		"Environment":   map[string]any{"Variables": map[string]any{"A": "a", "B": map[string]any{"Ref": "Table"}, "C": "c"}},
	}
	if d := cmp.Diff(wantF, f); d != "" {
		t.Errorf("F (-want +got):\n%s", d)
	}
	// An intrinsic function replaces the global mapping whole.
	if d := cmp.Diff(map[string]any{"Ref": "NoValueHere"}, g["Environment"]); d != "" {
		t.Errorf("G Environment (-want +got):\n%s", d)
	}
}

// parameterOverrides matches samconfig.toml's parameter_overrides line.
var parameterOverrides = regexp.MustCompile(`(?m)^parameter_overrides\s*=\s*"([^"]*)"`)

// TestSamconfigParameters checks that samconfig.toml's parameter_overrides
// name only parameters of template.yaml, and every parameter without a
// default, so that sam deploy does not stop on an unknown or missing one.
func TestSamconfigParameters(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "samconfig.toml"))
	if err != nil {
		t.Fatal(err)
	}
	m := parameterOverrides.FindSubmatch(data)
	if m == nil {
		t.Fatal("samconfig.toml has no parameter_overrides = \"...\" line")
	}
	given := map[string]bool{}
	for _, kv := range strings.Fields(string(m[1])) {
		name, _, _ := strings.Cut(kv, "=")
		given[name] = true
	}
	params := deployed(t).Parameters
	for _, name := range sortedKeys(given) {
		if _, ok := params[name]; !ok {
			t.Errorf("samconfig.toml overrides %s, which is not a parameter of template.yaml", name)
		}
	}
	for _, name := range sortedKeys(params) {
		if _, hasDefault := samtemplate.Lookup(params[name], "Default"); !hasDefault && !given[name] {
			t.Errorf("samconfig.toml does not set %s, which template.yaml's parameters have no default for", name)
		}
	}
}

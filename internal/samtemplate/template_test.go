package samtemplate_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
func logicalID(r httpapi.Route) string { return r.LogicalID() }

// routesByID returns the route table by the logical id of each route's
// function.
func routesByID() map[string]httpapi.Route {
	out := map[string]httpapi.Route{}
	for _, r := range httpapi.Routes() {
		out[logicalID(r)] = r
	}
	return out
}

// streamFunction is a function of template.yaml that serves no route: a
// consumer of the table's stream. Every function is either the function of a
// route or one of these, known here by logical id.
type streamFunction struct {
	// folder is the folder under functions/ it is built from.
	folder string
	// env maps each environment variable the function is given to the
	// parameter or resource it must be !Ref.
	env map[string]string
	// actions maps each IAM action its role allows to the one resource it
	// may be allowed on. The role must allow each of them, and nothing else.
	actions map[string]any
}

func getAtt(id, attr string) any { return map[string]any{"Fn::GetAtt": []any{id, attr}} }
func sub(s string) any           { return map[string]any{"Fn::Sub": s} }

// streamFunctions are the template's functions that are not routes.
var streamFunctions = map[string]streamFunction{
	"DeliverActivityFunction": {
		folder: "deliver-activity",
		env: map[string]string{
			lambdaenv.EnvTableName:    "UsersTable",
			lambdaenv.EnvEventBusName: "EventBusName",
			lambdaenv.EnvSenderEmail:  "SenderEmail",
			lambdaenv.EnvAppBaseURL:   "AppBaseUrl",
			// Every function's, from Globals.
			lambdaenv.EnvMetricsNamespace: "MetricsNamespace",
			// Sends name the configuration set when one is given.
			lambdaenv.EnvSesConfigurationSet: "SesConfigurationSet",
		},
		actions: map[string]any{
			// Its own log group (the role is not SAM's, which would allow
			// these through AWSLambdaBasicExecutionRole).
			"logs:CreateLogStream": getAtt("DeliverActivityFunctionLogGroup", "Arn"),
			"logs:PutLogEvents":    getAtt("DeliverActivityFunctionLogGroup", "Arn"),
			// The event source mapping reads the stream with the
			// function's role.
			"dynamodb:DescribeStream":   getAtt("UsersTable", "StreamArn"),
			"dynamodb:GetRecords":       getAtt("UsersTable", "StreamArn"),
			"dynamodb:GetShardIterator": getAtt("UsersTable", "StreamArn"),
			"dynamodb:ListStreams":      getAtt("UsersTable", "StreamArn"),
			// Delivery states of a batch (one BatchGetItem), business
			// profile (a Query) and inviter; delivery marks.
			// internal/lambdaenv/stream's TestConsumerCallsExactlyItsActions
			// derives these from the code.
			"dynamodb:BatchGetItem": getAtt("UsersTable", "Arn"),
			"dynamodb:GetItem":      getAtt("UsersTable", "Arn"),
			"dynamodb:Query":        getAtt("UsersTable", "Arn"),
			"dynamodb:UpdateItem":   getAtt("UsersTable", "Arn"),
			// SES v2 SendEmail (Simple content) is authorised as
			// ses:SendEmail on the sending identity.
			"ses:SendEmail":    sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${SenderIdentity}"),
			"events:PutEvents": sub("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${EventBusName}"),
			// The on-failure destination of the stream's event source
			// mapping, which sends with the function's role.
			"sqs:SendMessage": getAtt("DeliveryDeadLetterQueue", "Arn"),
		},
	},
}

// ruleFunctions are the template's functions that an EventBridge rule
// invokes (SPEC §7's provisioning). Like streamFunctions they serve no
// route; TestRuleFunctions checks their rule, retries, dead-letter queue
// and role.
var ruleFunctions = map[string]streamFunction{
	"ProvisionBusinessFunction": {
		folder: "provision-business",
		env: map[string]string{
			lambdaenv.EnvTableName:           "UsersTable",
			lambdaenv.EnvPlatformEventSource: "PlatformEventSource",
			lambdaenv.EnvInvitationTTL:       "InvitationTTL",
		},
		actions: map[string]any{
			"logs:CreateLogStream": getAtt("ProvisionBusinessFunctionLogGroup", "Arn"),
			"logs:PutLogEvents":    getAtt("ProvisionBusinessFunctionLogGroup", "Arn"),
			// The profile and the owner (GetItem); the keys of a deleted
			// business (Query); its transactions' items.
			"dynamodb:GetItem":    getAtt("UsersTable", "Arn"),
			"dynamodb:Query":      getAtt("UsersTable", "Arn"),
			"dynamodb:PutItem":    getAtt("UsersTable", "Arn"),
			"dynamodb:UpdateItem": getAtt("UsersTable", "Arn"),
			"dynamodb:DeleteItem": getAtt("UsersTable", "Arn"),
			// Lambda's asynchronous-invocation dead-letter queue sends with
			// the function's role.
			"sqs:SendMessage": getAtt("ProvisioningDeadLetterQueue", "Arn"),
		},
	},
}

// nonRouteFunction returns the entry of a function that serves no route:
// a stream function or a rule function.
func nonRouteFunction(id string) (streamFunction, bool) {
	if sf, ok := streamFunctions[id]; ok {
		return sf, true
	}
	sf, ok := ruleFunctions[id]
	return sf, ok
}

// nonRouteIDs returns the logical ids of streamFunctions and ruleFunctions.
func nonRouteIDs() []string {
	ids := append(sortedKeys(streamFunctions), sortedKeys(ruleFunctions)...)
	sort.Strings(ids)
	return ids
}

// functionFolder returns the folder under functions/ the function with the
// logical id is built from: its route's Function, or its folder in
// streamFunctions.
func functionFolder(id string) (string, bool) {
	if r, ok := routesByID()[id]; ok {
		return r.Function(), true
	}
	if sf, ok := nonRouteFunction(id); ok {
		return sf.folder, true
	}
	return "", false
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
		if _, ok := nonRouteFunction(id); ok {
			continue // TestStreamFunctions and TestRuleFunctions check its events
		}
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
// Operation + "Function", and that every function is named for an operation
// or is one of the stream functions this test knows.
func TestFunctionLogicalIDs(t *testing.T) {
	fns := functionsByID(t)
	byID := routesByID()
	for _, id := range nonRouteIDs() {
		sf, _ := nonRouteFunction(id)
		if _, ok := byID[id]; ok {
			t.Errorf("stream or rule function %s has the logical id of the function of route %s", id, byID[id].Operation)
		}
		if _, ok := fns[id]; !ok {
			t.Errorf("template.yaml has no function %s, built from functions/%s", id, sf.folder)
		}
	}
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
		_, route := byID[id]
		_, stream := nonRouteFunction(id)
		if !route && !stream {
			t.Errorf("template.yaml:%d: function %s is not <Operation>Function for any operation of internal/httpapi (%s), nor a stream or rule function of this test (%s)", fns[id].Line, id, strings.Join(sortedKeys(byID), ", "), strings.Join(nonRouteIDs(), ", "))
		}
	}
}

// TestFunctionFolders checks that every folder under functions/ is deployed
// by a function of template.yaml, and every function's folder exists. A
// function's folder is the Function of its route, or a stream function's
// folder.
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
		byFolder[r.Function()] = r
	}
	streamByFolder := map[string]string{}
	for _, id := range nonRouteIDs() {
		sf, _ := nonRouteFunction(id)
		streamByFolder[sf.folder] = id
	}
	for _, dir := range sortedKeys(folders) {
		r, ok := byFolder[dir]
		streamID, stream := streamByFolder[dir]
		switch {
		case stream && fns[streamID].LogicalID == "":
			t.Errorf("functions/%s (stream function) has no function %s in template.yaml", dir, streamID)
		case stream:
		case !ok:
			t.Errorf("functions/%s has no function in template.yaml: no route of internal/httpapi has it as its Function, and it is no stream function's folder", dir)
		case fns[logicalID(r)].LogicalID == "":
			t.Errorf("functions/%s (route %s) has no function %s in template.yaml", dir, r.Operation, logicalID(r))
		}
	}
	for _, id := range sortedKeys(fns) {
		dir, ok := functionFolder(id)
		switch {
		case !ok:
			t.Errorf("template.yaml:%d: %s has no folder under functions/: no route of internal/httpapi has operation %s, and it is not a stream function", fns[id].Line, id, strings.TrimSuffix(id, "Function"))
		case !folders[dir]:
			t.Errorf("template.yaml:%d: %s is built from functions/%s, which does not exist", fns[id].Line, id, dir)
		}
	}
}

// TestFunctionsBuildWithTheMakefile checks that each function is set up for
// the Makefile's build-%Function rule, which sam build runs
// (TestMakefileBuildTargetsResolve checks that the rule builds the right
// folder for each).
func TestFunctionsBuildWithTheMakefile(t *testing.T) {
	fns := functionsByID(t)
	for _, id := range sortedKeys(fns) {
		f := fns[id]
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
	for _, id := range sortedKeys(fns) {
		dir, ok := functionFolder(id)
		if !ok {
			continue // reported by TestFunctionFolders
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
		for _, want := range []string{"./functions/" + dir, filepath.Join(artifacts, "bootstrap")} {
			if !strings.Contains(string(out), want) {
				t.Errorf("make --dry-run build-%s does not mention %s:\n%s", id, want, out)
			}
		}
	}
}

// envScan is what the deployed code reads from the environment, and which
// function reads what.
type envScan struct {
	// read maps each variable read to the places that read it.
	read map[string][]string
	// elsewhere lists the reads outside internal/lambdaenv.
	elsewhere []string
	// byDecl maps each top-level function of internal/lambdaenv (by name;
	// "" for package-level declarations) to the variables its body reads.
	byDecl map[string]map[string]bool
	// refs maps each top-level function of internal/lambdaenv (and "") to
	// the package's top-level functions it refers to.
	refs map[string]map[string]bool
	// entries maps each folder under functions/ to the functions of
	// internal/lambdaenv its package refers to.
	entries map[string]map[string]bool
}

// readBy returns the variables the function built from functions/<folder>
// can read: those read by the functions of internal/lambdaenv it refers to,
// by the functions those refer to in turn, and by the package's
// declarations. References are followed whether or not they are calls, so
// this can only name more variables than a run reads, never fewer.
func (s envScan) readBy(folder string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]bool{}
	var visit func(fn string)
	visit = func(fn string) {
		if seen[fn] {
			return
		}
		seen[fn] = true
		for name := range s.byDecl[fn] {
			out[name] = true
		}
		for next := range s.refs[fn] {
			visit(next)
		}
	}
	// Package-level declarations run in every function.
	visit("")
	for fn := range s.entries[folder] {
		visit(fn)
	}
	return out
}

// scanEnv scans the module's packages that the functions are built from for
// os.Getenv and os.LookupEnv calls, and internal/lambdaenv and the
// functions' main packages for which function reaches which read.
func scanEnv(t *testing.T) envScan {
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
	s := envScan{
		read:    map[string][]string{},
		byDecl:  map[string]map[string]bool{},
		refs:    map[string]map[string]bool{},
		entries: map[string]map[string]bool{},
	}
	add := func(m map[string]map[string]bool, k, v string) {
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][v] = true
	}
	fset := token.NewFileSet()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) != 3 || fields[2] == "" {
			continue
		}
		importPath, dir := fields[0], fields[1]
		isLambdaenv := strings.HasSuffix(importPath, "/internal/lambdaenv")
		folder := ""
		if rel, err := filepath.Rel(filepath.Join(root, "functions"), dir); err == nil && !strings.HasPrefix(rel, "..") && !strings.Contains(rel, string(filepath.Separator)) {
			folder = rel
		}
		var files []*ast.File
		consts := map[string]string{}
		funcs := map[string]bool{}
		for _, name := range strings.Split(fields[2], ",") {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
			for _, decl := range f.Decls {
				switch d := decl.(type) {
				case *ast.FuncDecl:
					funcs[d.Name.Name] = true
				case *ast.GenDecl:
					if d.Tok != token.CONST {
						continue
					}
					for _, spec := range d.Specs {
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
			osName, envPkgName := "", ""
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				local := filepath.Base(path)
				if imp.Name != nil {
					local = imp.Name.Name
				}
				switch {
				case path == "os":
					osName = local
				case strings.HasSuffix(path, "/internal/lambdaenv"):
					envPkgName = local
				}
			}
			for _, decl := range f.Decls {
				declName := ""
				if fd, ok := decl.(*ast.FuncDecl); ok {
					declName = fd.Name.Name
				}
				ast.Inspect(decl, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.Ident:
						// A reference to another function of lambdaenv.
						if isLambdaenv && funcs[n.Name] && n.Name != declName {
							add(s.refs, declName, n.Name)
						}
					case *ast.SelectorExpr:
						// A function's main package using lambdaenv.
						if x, ok := n.X.(*ast.Ident); ok && folder != "" && envPkgName != "" && x.Name == envPkgName {
							add(s.entries, folder, n.Sel.Name)
						}
					case *ast.CallExpr:
						if osName == "" || len(n.Args) != 1 {
							return true
						}
						sel, ok := n.Fun.(*ast.SelectorExpr)
						if !ok || (sel.Sel.Name != "Getenv" && sel.Sel.Name != "LookupEnv") {
							return true
						}
						if x, ok := sel.X.(*ast.Ident); !ok || x.Name != osName {
							return true
						}
						pos := fset.Position(n.Pos())
						if rel, err := filepath.Rel(root, pos.Filename); err == nil {
							pos.Filename = rel
						}
						var name string
						switch arg := n.Args[0].(type) {
						case *ast.BasicLit:
							name, _ = strconv.Unquote(arg.Value)
						case *ast.Ident:
							name = consts[arg.Name]
						}
						if name == "" {
							t.Errorf("%s: reads an environment variable this test cannot name; pass a string constant of the package", pos)
							return true
						}
						s.read[name] = append(s.read[name], pos.String())
						if isLambdaenv {
							add(s.byDecl, declName, name)
						} else {
							s.elsewhere = append(s.elsewhere, fmt.Sprintf("%s reads %s", pos, name))
						}
					}
					return true
				})
			}
		}
	}
	return s
}

// notFromTemplate are the variables the deployed code reads that
// template.yaml must not set, with why.
var notFromTemplate = map[string]string{
	lambdaenv.EnvRegion:              "Lambda sets (a reserved variable)",
	lambdaenv.EnvAccessKeyID:         "Lambda sets from the function's role (a reserved variable)",
	lambdaenv.EnvSecretAccessKey:     "Lambda sets from the function's role (a reserved variable)",
	lambdaenv.EnvSessionToken:        "Lambda sets from the function's role (a reserved variable)",
	lambdaenv.EnvEndpoint:            "only the packaging tests set, to reach the emulators",
	lambdaenv.EnvEndpointDynamoDB:    "only the packaging tests set, to reach DynamoDB Local",
	lambdaenv.EnvEndpointSES:         "only the packaging tests set, to reach kumo",
	lambdaenv.EnvEndpointEventBridge: "only the packaging tests set, to reach kumo",
}

// TestEnvironment checks that every function is given exactly the
// environment variables the deployed code reads for it: what the functions
// of internal/lambdaenv its main package uses read. A route function reads
// TABLE_NAME only; a stream function what its entry in streamFunctions says;
// neither is given what notFromTemplate lists.
func TestEnvironment(t *testing.T) {
	scan := scanEnv(t)
	for _, e := range scan.elsewhere {
		t.Errorf("%s; deployed code reads environment variables only in internal/lambdaenv", e)
	}
	// The scan must at least find the variable we know is read, and
	// attribute it to a route's function, or it would pass by seeing
	// nothing.
	if _, ok := scan.read[lambdaenv.EnvTableName]; !ok {
		t.Fatalf("the scan found no read of lambdaenv.EnvTableName (%s); it found %v", lambdaenv.EnvTableName, scan.read)
	}
	if r := httpapi.Routes()[0]; !scan.readBy(r.Function())[lambdaenv.EnvTableName] {
		t.Fatalf("the scan finds no read of %s by functions/%s; it found %v", lambdaenv.EnvTableName, r.Function(), scan.readBy(r.Function()))
	}
	tables := deployed(t).OfType(samtemplate.TypeTable)
	fns := functionsByID(t)
	for _, id := range sortedKeys(fns) {
		f := fns[id]
		dir, ok := functionFolder(id)
		if !ok {
			continue // reported by TestFunctionFolders
		}
		reads := scan.readBy(dir)
		for name := range notFromTemplate {
			if _, ok := f.Environment[name]; ok {
				t.Errorf("template.yaml:%d: %s sets %s, which %s", f.Line, id, name, notFromTemplate[name])
			}
			delete(reads, name)
		}
		for _, name := range sortedKeys(reads) {
			if _, ok := f.Environment[name]; !ok {
				t.Errorf("template.yaml:%d: %s does not set %s, which functions/%s reads (%s)", f.Line, id, name, dir, strings.Join(scan.read[name], ", "))
			}
		}
		for _, name := range sortedKeys(f.Environment) {
			if !reads[name] {
				t.Errorf("template.yaml:%d: %s sets %s, which functions/%s never reads", f.Line, id, name, dir)
			}
		}
		if v, ok := f.Environment[lambdaenv.EnvTableName]; ok && len(tables) == 1 {
			if ref, _ := samtemplate.Ref(v); ref != tables[0].LogicalID {
				t.Errorf("template.yaml:%d: %s sets %s to %v, want !Ref %s", f.Line, id, lambdaenv.EnvTableName, v, tables[0].LogicalID)
			}
		}
		sf, stream := nonRouteFunction(id)
		if !stream {
			continue
		}
		// The table of this test must say what the code reads, so that it
		// cannot drift from it.
		if got, want := sortedKeys(reads), sortedKeys(sf.env); !slices.Equal(got, want) {
			t.Errorf("functions/%s reads %q, but streamFunctions says %s is given %q", dir, got, id, want)
		}
		for _, name := range sortedKeys(sf.env) {
			v, ok := f.Environment[name]
			if ref, _ := samtemplate.Ref(v); ok && ref != sf.env[name] {
				t.Errorf("template.yaml:%d: %s sets %s to %v, want !Ref %s", f.Line, id, name, v, sf.env[name])
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

// indexARN reads the index name of !Sub ${<table>.Arn}/index/<name>, when
// the table is the template's one table and <name> one of its global
// secondary indexes.
func indexARN(res any, tables []samtemplate.Resource) (string, bool) {
	m, ok := res.(map[string]any)
	if !ok || len(m) != 1 || len(tables) != 1 {
		return "", false
	}
	sub, ok := m["Fn::Sub"].(string)
	if !ok {
		return "", false
	}
	name, ok := strings.CutPrefix(sub, "${"+tables[0].LogicalID+".Arn}/index/")
	if !ok {
		return "", false
	}
	for _, ix := range dynamo.TableDefinition("users").GlobalSecondaryIndexes {
		if *ix.IndexName == name {
			return name, true
		}
	}
	return "", false
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

var (
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

// TestFunctionsWriteOnlyWhatTheirRouteDoes checks that no policy of a
// route's function allows a write its route does not make (the route's
// actions are derived from its code: internal/sampleevents'
// TestEachRouteCallsExactlyItsActions), directly or through a wildcard.
func TestFunctionsWriteOnlyWhatTheirRouteDoes(t *testing.T) {
	fns := functionsByID(t)
	for _, r := range httpapi.Routes() {
		f, ok := fns[logicalID(r)]
		if !ok {
			continue
		}
		where := fmt.Sprintf("template.yaml:%d: %s (route %s)", f.Line, f.LogicalID, r.Operation)
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
					case containsFold(mutatingActions, a) && !containsFold(r.DynamoDBActions, a):
						t.Errorf("%s: Policies[%d] allows write action %s, which the route never calls", where, i, a)
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
		want := r.DynamoDBActions
		var allowed, queriedIndexes []string
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
					if id, attr, ok := samtemplate.GetAtt(res); ok && attr == "Arn" && len(tables) == 1 && id == tables[0].LogicalID {
						continue
					}
					// An index the route queries, and nothing but Query on it.
					if ix, ok := indexARN(res, tables); ok && slices.Contains(r.Indexes(), ix) {
						if len(st.Actions) != 1 || !strings.EqualFold(st.Actions[0], "dynamodb:Query") {
							t.Errorf("%s: Policies[%d] allows %q on index %s, want only dynamodb:Query", where, i, st.Actions, ix)
						}
						queriedIndexes = append(queriedIndexes, ix)
						continue
					}
					t.Errorf("%s: Policies[%d] allows %q on %v, which is neither the table (!GetAtt <table>.Arn) nor an index route %s queries (!Sub ${<table>.Arn}/index/<name>)", where, i, st.Actions, res, r.Operation)
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
		for _, ix := range r.Indexes() {
			if !slices.Contains(queriedIndexes, ix) {
				t.Errorf("%s lacks dynamodb:Query on index %s (!Sub ${<table>.Arn}/index/%s), which route %s queries", where, ix, ix, r.Operation)
			}
		}
		for _, a := range allowed {
			if !containsFold(want, a) {
				t.Errorf("%s allows %s, which route %s does not need", where, a, r.Operation)
			}
		}
	}
}

// streamFilterPattern is what the filter of a stream function's event must
// match: inserted activity records only (dynamo.EntityActivity), so that
// neither the users' own items nor the consumer's delivery marks (MODIFY)
// invoke it.
var streamFilterPattern = map[string]any{
	"eventName": []any{"INSERT"},
	"dynamodb":  map[string]any{"NewImage": map[string]any{"entity": map[string]any{"S": []any{dynamo.EntityActivity}}}},
}

// TestStreamFunctions checks each stream function: one DynamoDB event on the
// table's stream with the retry, failure-reporting and filter settings that
// delivery at least once needs (SPEC §5, I6), an on-failure destination on a
// queue, its own log group, and a role allowed exactly the actions of
// streamFunctions, each on its one resource.
func TestStreamFunctions(t *testing.T) {
	tmpl := deployed(t)
	fns := functionsByID(t)
	tables := tmpl.OfType(samtemplate.TypeTable)
	if len(tables) != 1 {
		t.Fatalf("template.yaml has %d tables, want 1", len(tables))
	}
	table := tables[0].LogicalID
	for _, id := range sortedKeys(streamFunctions) {
		f, ok := fns[id]
		if !ok {
			continue // reported by TestFunctionLogicalIDs
		}
		sf := streamFunctions[id]
		where := fmt.Sprintf("template.yaml:%d: %s", f.Line, id)

		// The event.
		if len(f.Events) != 0 {
			t.Errorf("%s has HttpApi events; a stream function serves no route", where)
		}
		events, _ := f.Properties["Events"].(map[string]any)
		if len(events) != 1 {
			t.Errorf("%s has %d events, want exactly one of type DynamoDB", where, len(events))
		}
		var destination any
		for _, name := range sortedKeys(events) {
			ev := events[name]
			at := fmt.Sprintf("%s event %s", where, name)
			if typ, _ := samtemplate.Lookup(ev, "Type"); typ != "DynamoDB" {
				t.Errorf("%s has Type %v, want DynamoDB", at, typ)
				continue
			}
			p, _ := samtemplate.Lookup(ev, "Properties")
			prop := func(keys ...string) any { v, _ := samtemplate.Lookup(p, keys...); return v }
			if stream := prop("Stream"); !reflect.DeepEqual(stream, getAtt(table, "StreamArn")) {
				t.Errorf("%s reads Stream %v, want !GetAtt %s.StreamArn", at, stream, table)
			}
			// LATEST would skip what was committed before the mapping
			// existed or while it was disabled.
			if sp := prop("StartingPosition"); sp != "TRIM_HORIZON" {
				t.Errorf("%s has StartingPosition %v, want TRIM_HORIZON so that no committed record is skipped", at, sp)
			}
			types, _ := prop("FunctionResponseTypes").([]any)
			if !slices.Contains(types, any("ReportBatchItemFailures")) {
				t.Errorf("%s has FunctionResponseTypes %v, want [ReportBatchItemFailures] so that only failed records are retried", at, types)
			}
			if b := prop("BisectBatchOnFunctionError"); b != true {
				t.Errorf("%s has BisectBatchOnFunctionError %v, want true so that a failing record is isolated", at, b)
			}
			// Unset or -1 retries forever, and one bad record would
			// stop its shard until the record expires.
			if n, ok := prop("MaximumRetryAttempts").(int); !ok || n < 1 {
				t.Errorf("%s has MaximumRetryAttempts %v, want a positive number", at, prop("MaximumRetryAttempts"))
			}
			if n, ok := prop("MaximumRecordAgeInSeconds").(int); !ok || n < 60 || n > 604800 {
				t.Errorf("%s has MaximumRecordAgeInSeconds %v, want 60 to 604800", at, prop("MaximumRecordAgeInSeconds"))
			}
			if n, ok := prop("BatchSize").(int); ok && (n < 1 || n > 10000) {
				t.Errorf("%s has BatchSize %d, want 1 to 10000", at, n)
			}
			destination = prop("DestinationConfig", "OnFailure", "Destination")
			if qid, attr, ok := samtemplate.GetAtt(destination); !ok || attr != "Arn" || tmpl.Resources[qid].Type != "AWS::SQS::Queue" {
				t.Errorf("%s has DestinationConfig.OnFailure.Destination %v, want !GetAtt <AWS::SQS::Queue>.Arn so that a batch given up on is reported", at, destination)
			} else if days, _ := samtemplate.Lookup(tmpl.Resources[qid].Properties, "MessageRetentionPeriod"); days != 1209600 {
				t.Errorf("template.yaml:%d: %s (the on-failure destination of %s) has MessageRetentionPeriod %v, want 1209600 (14 days)", tmpl.Resources[qid].Line, qid, id, days)
			}
			filters, _ := prop("FilterCriteria", "Filters").([]any)
			if len(filters) != 1 {
				t.Errorf("%s has %d FilterCriteria.Filters, want 1 (filters are ORed)", at, len(filters))
			}
			for i, fl := range filters {
				raw, _ := samtemplate.Lookup(fl, "Pattern")
				text, _ := raw.(string)
				var pattern map[string]any
				if err := json.Unmarshal([]byte(text), &pattern); err != nil {
					t.Errorf("%s FilterCriteria.Filters[%d].Pattern is not a JSON object: %v", at, i, err)
					continue
				}
				for _, keys := range [][]string{{"eventName"}, {"dynamodb", "NewImage", "entity", "S"}} {
					got, _ := samtemplate.Lookup(pattern, keys...)
					want, _ := samtemplate.Lookup(streamFilterPattern, keys...)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s FilterCriteria.Filters[%d].Pattern has %s %v, want %v", at, i, strings.Join(keys, "."), got, want)
					}
				}
			}
		}

		// Its log group, kept as long as the others.
		lg, _ := samtemplate.Lookup(f.Properties, "LoggingConfig", "LogGroup")
		if ref, _ := samtemplate.Ref(lg); tmpl.Resources[ref].Type != "AWS::Logs::LogGroup" {
			t.Errorf("%s has LoggingConfig.LogGroup %v, want !Ref of its AWS::Logs::LogGroup", where, lg)
		} else if days, _ := samtemplate.Lookup(tmpl.Resources[ref].Properties, "RetentionInDays"); !reflect.DeepEqual(days, map[string]any{"Ref": "LogRetentionDays"}) {
			t.Errorf("template.yaml:%d: %s has RetentionInDays %v, want !Ref LogRetentionDays", tmpl.Resources[ref].Line, ref, days)
		}

		// The role.
		if f.RoleID == "" {
			t.Errorf("%s has no Role: !GetAtt <AWS::IAM::Role>.Arn; the role SAM would make for a DynamoDB event allows reading every table's stream", where)
		} else {
			role := tmpl.Resources[f.RoleID]
			principal, _ := samtemplate.Lookup(role.Properties, "AssumeRolePolicyDocument", "Statement")
			if list, _ := principal.([]any); len(list) != 1 || !reflect.DeepEqual(list[0], map[string]any{
				"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
			}) {
				t.Errorf("template.yaml:%d: %s may be assumed by %v, want Lambda (lambda.amazonaws.com, sts:AssumeRole) only", role.Line, f.RoleID, principal)
			}
		}
		allowed := map[string]bool{}
		for i, p := range f.Policies {
			if p.Opaque != "" {
				t.Errorf("%s: policy %d is a %s, whose actions cannot be checked; write an inline Statement", where, i, p.Opaque)
			}
			for j, st := range p.Statements {
				at := fmt.Sprintf("%s: policy %d Statement[%d]", where, i, j)
				if st.Effect != "Allow" {
					continue
				}
				if len(st.NotActions) > 0 {
					t.Errorf("%s allows NotAction %q, that is every other action", at, st.NotActions)
				}
				if len(st.Resources) == 0 {
					t.Errorf("%s allows %q without a Resource", at, st.Actions)
				}
				for _, res := range st.Resources {
					if s, ok := res.(string); ok && strings.Contains(s, "*") {
						t.Errorf("%s allows %q on wildcard resource %q", at, st.Actions, s)
					}
				}
				for _, a := range st.Actions {
					allowed[strings.ToLower(a)] = true
					want, known := lookupFold(sf.actions, a)
					switch {
					case isWildcard(a):
						t.Errorf("%s allows wildcard action %s", at, a)
					case containsFold(mutatingActions, a) && !strings.EqualFold(a, "dynamodb:UpdateItem"):
						t.Errorf("%s allows %s; the only DynamoDB write a stream function may make is UpdateItem (its delivery marks)", at, a)
					case !known:
						t.Errorf("%s allows %s, which streamFunctions does not give %s", at, a, id)
					default:
						for _, res := range st.Resources {
							if !reflect.DeepEqual(res, want) {
								t.Errorf("%s allows %s on %v, want only %v", at, a, res, want)
							}
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
		if want := sf.actions["sqs:SendMessage"]; destination != nil && !reflect.DeepEqual(destination, want) {
			t.Errorf("%s reports failed batches to %v, but may send only to %v", where, destination, want)
		}
	}
}

// lookupFold returns the entry of m whose key equals key, ignoring case (IAM
// action names are case-insensitive).
func lookupFold(m map[string]any, key string) (any, bool) {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// TestRolePolicies checks that a function's policies are read from the
// role its Role names, and that what a template cannot show is opaque.
func TestRolePolicies(t *testing.T) {
	tmpl, err := samtemplate.Parse([]byte(`
Resources:
  Own:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt R.Arn
  Outside:
    Type: AWS::Serverless::Function
    Properties:
      Role: arn:aws:iam::111122223333:role/elsewhere
  R:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
      Policies:
        - PolicyName: P
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:GetItem]
                Resource: !GetAtt T.Arn
`))
	if err != nil {
		t.Fatal(err)
	}
	fns, err := tmpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]samtemplate.Function{}
	for _, f := range fns {
		byID[f.LogicalID] = f
	}
	own := byID["Own"]
	if own.RoleID != "R" || len(own.Policies) != 2 || own.Policies[0].Opaque == "" ||
		len(own.Policies[1].Statements) != 1 || !slices.Equal(own.Policies[1].Statements[0].Actions, []string{"dynamodb:GetItem"}) {
		t.Errorf("Own: RoleID %q, Policies %+v; want R, the managed policy (opaque) and the inline statement", own.RoleID, own.Policies)
	}
	if out := byID["Outside"]; out.RoleID != "" || len(out.Policies) != 1 || out.Policies[0].Opaque == "" {
		t.Errorf("Outside: RoleID %q, Policies %+v; want one opaque entry", out.RoleID, out.Policies)
	}
	both, err := samtemplate.Parse([]byte("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Role: !GetAtt R.Arn\n      Policies: [AWSLambdaExecute]\n  R:\n    Type: AWS::IAM::Role\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := both.Functions(); err == nil {
		t.Error("a function with both Role and Policies was accepted; SAM ignores its Policies")
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

// scopeParameter is the parameter naming the OAuth scope every route
// requires.
const scopeParameter = "JwtScope"

// TestRoutesRequireScope checks that every route requires the scope of the
// JwtScope parameter, and that the parameter has no default, so that a
// deployment names its scope and API Gateway refuses ID tokens (which carry
// no scope) on every route.
func TestRoutesRequireScope(t *testing.T) {
	tmpl := deployed(t)
	p, ok := tmpl.Parameters[scopeParameter]
	if !ok {
		t.Fatalf("template.yaml has no parameter %s, the scope every route requires", scopeParameter)
	}
	if d, hasDefault := samtemplate.Lookup(p, "Default"); hasDefault {
		t.Errorf("parameter %s has Default %v; it must be required, so that every deployment names its scope", scopeParameter, d)
	}
	if typ, _ := samtemplate.Lookup(p, "Type"); typ != "String" {
		t.Errorf("parameter %s has Type %v, want String (one scope)", scopeParameter, typ)
	}
	want := []any{map[string]any{"Ref": scopeParameter}}
	fns := functionsByID(t)
	routed := 0
	for _, id := range sortedKeys(fns) {
		for _, ev := range fns[id].Events {
			routed++
			where := fmt.Sprintf("template.yaml:%d: %s event %s", fns[id].Line, id, ev.Name)
			got, ok := ev.Auth["AuthorizationScopes"]
			if !ok {
				t.Errorf("%s has no Auth.AuthorizationScopes; want [!Ref %s], or API Gateway accepts ID tokens on %s %s", where, scopeParameter, ev.Method, ev.Path)
				continue
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s Auth.AuthorizationScopes differ from [!Ref %s] (-want +got):\n%s", where, scopeParameter, d)
			}
		}
	}
	if routed != len(httpapi.Routes()) {
		t.Errorf("found %d HttpApi events, want one per route (%d)", routed, len(httpapi.Routes()))
	}
	// A scope on the authorizer would apply to routes without their own;
	// every route has its own, so one there could only disagree.
	for _, api := range tmpl.HTTPAPIs() {
		auths, _ := samtemplate.Lookup(api.Properties, "Auth", "Authorizers")
		m, _ := auths.(map[string]any)
		for _, name := range sortedKeys(m) {
			if s, ok := samtemplate.Lookup(m[name], "AuthorizationScopes"); ok {
				t.Errorf("template.yaml:%d: %s authorizer %s sets AuthorizationScopes %v; the routes set theirs", api.Line, api.LogicalID, name, s)
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
// variable names a parameter or resource of the template, that every
// condition a resource, Fn::If or Condition names is declared, and that
// every parameter and condition is used: mistakes CloudFormation would only
// report on deploy.
func TestReferencesResolve(t *testing.T) {
	tmpl := deployed(t)
	usedConditions := map[string]bool{}
	useCondition := func(where, name string) {
		usedConditions[name] = true
		if _, ok := tmpl.Conditions[name]; !ok {
			t.Errorf("%s names condition %q, which Conditions does not declare", where, name)
		}
	}
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
			if name, ok := v["Condition"].(string); ok && len(v) == 1 {
				useCondition(path+": !Condition", name)
				return
			}
			if args, ok := v["Fn::If"].([]any); ok && len(v) == 1 {
				if name, ok := args[0].(string); len(args) == 3 && ok {
					useCondition(path+": !If", name)
				} else {
					t.Errorf("%s: !If takes [condition name, value if true, value if false], not %v", path, args)
				}
				walk(path+".Fn::If", args[1:])
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
	walk("Conditions", tmpl.Conditions)
	walk("Globals", tmpl.Globals)
	walk("Outputs", tmpl.Outputs)
	for _, id := range sortedKeys(tmpl.Resources) {
		r := tmpl.Resources[id]
		where := fmt.Sprintf("template.yaml:%d: Resources.%s", r.Line, id)
		walk(where+".Properties", r.Properties)
		if r.Condition != "" {
			useCondition(where+".Condition", r.Condition)
		}
	}
	for _, name := range sortedKeys(tmpl.Parameters) {
		if !used[name] {
			t.Errorf("parameter %s is declared but never used", name)
		}
	}
	for _, name := range sortedKeys(tmpl.Conditions) {
		if !usedConditions[name] {
			t.Errorf("condition %s is declared but never used", name)
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

// apiGatewayTimeout is the HTTP API's own integration timeout: a function
// that answers later gets API Gateway's 503, not the service's JSON.
const apiGatewayTimeout = 30 * time.Second

// TestRequestTimeoutFitsTheFunctionTimeout: every route function's
// REQUEST_TIMEOUT (invariant I11) is a Go duration below its Lambda Timeout
// and API Gateway's 30 s, so the service's 503 unavailable answers before
// Lambda or API Gateway gives up with an answer of their own.
func TestRequestTimeoutFitsTheFunctionTimeout(t *testing.T) {
	fns := functionsByID(t)
	for _, r := range httpapi.Routes() {
		f, ok := fns[r.LogicalID()]
		if !ok {
			continue // reported by TestRoutesMatchTemplate
		}
		raw, _ := f.Environment[lambdaenv.EnvRequestTimeout].(string)
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			t.Errorf("template.yaml:%d: %s sets %s to %q, want a positive Go duration", f.Line, f.LogicalID, lambdaenv.EnvRequestTimeout, raw)
			continue
		}
		timeout, ok := f.Properties["Timeout"].(int)
		if !ok {
			t.Errorf("template.yaml:%d: %s has no numeric Timeout (%T)", f.Line, f.LogicalID, f.Properties["Timeout"])
			continue
		}
		if limit := min(time.Duration(timeout)*time.Second, apiGatewayTimeout); d >= limit {
			t.Errorf("template.yaml:%d: %s's %s %s is not below %s (its Lambda Timeout and API Gateway's 30 s)", f.Line, f.LogicalID, lambdaenv.EnvRequestTimeout, d, limit)
		}
	}
}

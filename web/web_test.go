package web

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	// importPattern matches the page's static imports, which all have the
	// form import { a, b } from "./module.js".
	importPattern = regexp.MustCompile(`(?m)^import \{([^}]*)\} from "([^"]+)";`)
	exportPattern = regexp.MustCompile(`(?m)^export (?:async )?(?:function|const|class) (\w+)`)
)

// TestModulesResolve checks the page's ES modules against each other without
// a browser: every import names an embedded file that exports what is
// imported, and every module but assets/app.js, the entry, is imported by
// another. A module that is missing, misnamed or left out of the embed stops
// the whole page, so this says which one before the browser tests do.
func TestModulesResolve(t *testing.T) {
	files := Files()
	modules, err := fs.Glob(files, "assets/*.js")
	if err != nil || len(modules) == 0 {
		t.Fatalf("no modules under assets/: %v", err)
	}
	exports := map[string]map[string]bool{}
	sources := map[string]string{}
	for _, m := range modules {
		src, err := fs.ReadFile(files, m)
		if err != nil {
			t.Fatal(err)
		}
		sources[m] = string(src)
		exports[m] = map[string]bool{}
		for _, e := range exportPattern.FindAllStringSubmatch(string(src), -1) {
			exports[m][e[1]] = true
		}
	}

	imported := map[string]bool{"assets/app.js": true}
	for _, m := range modules {
		if strings.Contains(sources[m], "import(") {
			t.Errorf("%s: dynamic import; this test follows static imports only", m)
		}
		for _, imp := range importPattern.FindAllStringSubmatch(sources[m], -1) {
			target := path.Join(path.Dir(m), imp[2])
			if !strings.HasPrefix(imp[2], "./") || exports[target] == nil {
				t.Errorf("%s imports %q, which is not an embedded module next to it", m, imp[2])
				continue
			}
			imported[target] = true
			for _, name := range strings.Split(imp[1], ",") {
				if name = strings.TrimSpace(name); name != "" && !exports[target][name] {
					t.Errorf("%s imports %s from %s, which does not export it", m, name, imp[2])
				}
			}
		}
	}
	for _, m := range modules {
		if !imported[m] {
			t.Errorf("%s is imported by no module: dead code, or an import is missing", m)
		}
	}
}

// modulePreload matches index.html's modulepreload links.
var modulePreload = regexp.MustCompile(`<link rel="modulepreload" href="/(assets/[^"]+\.js)">`)

// TestEveryModuleIsPreloaded checks that index.html asks for every module
// up front (issue 12: on a slow network, discovering imports one level at a
// time was most of the wait), so a module added later is not fetched last.
func TestEveryModuleIsPreloaded(t *testing.T) {
	files := Files()
	modules, err := fs.Glob(files, "assets/*.js")
	if err != nil || len(modules) == 0 {
		t.Fatalf("no modules under assets/: %v", err)
	}
	html, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	preloaded := map[string]bool{}
	for _, m := range modulePreload.FindAllStringSubmatch(string(html), -1) {
		preloaded[m[1]] = true
	}
	for _, m := range modules {
		// The entry is index.html's <script type="module">, fetched at once.
		if m != "assets/app.js" && !preloaded[m] {
			t.Errorf("index.html has no <link rel=\"modulepreload\" href=\"/%s\">", m)
		}
		delete(preloaded, m)
	}
	for m := range preloaded {
		t.Errorf("index.html preloads %s, which is not a module of the page", m)
	}
}

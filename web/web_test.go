package web

import (
	"io/fs"
	"os"
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

// stylesheetLink matches index.html's stylesheet links.
var stylesheetLink = regexp.MustCompile(`<link rel="stylesheet" href="/(assets/[^"]+\.css)">`)

// TestFirstPaintNeedsNoStylesheet checks what lets the page paint its top
// bar and loading skeleton as soon as index.html has arrived, one round trip
// before the stylesheets (issue 12 item 8: on Slow 3G that is 2 s): the
// styles they need are index.html's one inline <style>, in <head>; and no
// stylesheet is linked before the skeleton, where it would hold back that
// paint until it had loaded. Every stylesheet of the page is still linked,
// after the skeleton, where the page's module waits for it.
func TestFirstPaintNeedsNoStylesheet(t *testing.T) {
	files := Files()
	raw, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	html := string(raw)
	head, body, ok := strings.Cut(html, "</head>")
	if !ok {
		t.Fatal("index.html has no </head>")
	}
	if _, err := InlineStyleSource(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(head, "<style>") {
		t.Error("index.html's inline <style> is not in <head>: what comes before it paints unstyled")
	}
	skeleton := strings.Index(body, `class="boot"`)
	if skeleton < 0 {
		t.Fatal(`index.html has no skeleton (class="boot")`)
	}
	if m := stylesheetLink.FindString(head); m != "" || strings.Contains(head, `rel="stylesheet"`) {
		t.Errorf("index.html links a stylesheet in <head> (%s): nothing paints until it has loaded", m)
	}
	if m := stylesheetLink.FindString(body[:skeleton]); m != "" || strings.Contains(body[:skeleton], `rel="stylesheet"`) {
		t.Errorf("index.html links a stylesheet before the skeleton (%s): the skeleton waits for it", m)
	}
	linked := map[string]bool{}
	for _, m := range stylesheetLink.FindAllStringSubmatch(body[skeleton:], -1) {
		linked[m[1]] = true
	}
	sheets, err := fs.Glob(files, "assets/*.css")
	if err != nil || len(sheets) == 0 {
		t.Fatalf("no stylesheets under assets/: %v", err)
	}
	for _, s := range sheets {
		if !linked[s] {
			t.Errorf(`index.html has no <link rel="stylesheet" href="/%s"> after the skeleton`, s)
		}
	}
}

// cssRule is one style rule of a stylesheet: where it applies (the
// enclosing @media, or "" at the top level), its selector, and its
// declarations by property. An @keyframes block is kept whole, as its
// selector, with no declarations.
type cssRule struct {
	media, selector string
	decls           map[string]string
}

// cssComment matches a CSS comment.
var cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)

// parseCSS reads the plain CSS the page's stylesheets are written in: style
// rules, @media blocks of style rules, and @keyframes. Whitespace is
// collapsed, so that a rule copied with another indentation reads the same.
func parseCSS(t *testing.T, name, src string) []cssRule {
	t.Helper()
	squash := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	var rules []cssRule
	var parse func(src, media string)
	parse = func(src, media string) {
		for {
			open := strings.Index(src, "{")
			if open < 0 {
				if strings.TrimSpace(src) != "" {
					t.Fatalf("%s: cannot read %q", name, src)
				}
				return
			}
			prelude := squash(src[:open])
			// The block ends at the brace that balances the opening one.
			depth, end := 0, -1
			for i := open; i < len(src) && end < 0; i++ {
				switch src[i] {
				case '{':
					depth++
				case '}':
					if depth--; depth == 0 {
						end = i
					}
				}
			}
			if end < 0 {
				t.Fatalf("%s: unbalanced braces after %q", name, prelude)
			}
			block := src[open+1 : end]
			switch {
			case strings.HasPrefix(prelude, "@media"):
				parse(block, prelude)
			case strings.HasPrefix(prelude, "@"):
				rules = append(rules, cssRule{media: media, selector: prelude + " { " + squash(block) + " }"})
			default:
				decls := map[string]string{}
				for _, d := range strings.Split(block, ";") {
					if prop, value, ok := strings.Cut(d, ":"); ok {
						decls[squash(prop)] = squash(value)
					} else if strings.TrimSpace(d) != "" {
						t.Fatalf("%s: cannot read the declaration %q of %s", name, d, prelude)
					}
				}
				rules = append(rules, cssRule{media: media, selector: prelude, decls: decls})
			}
			src = src[end+1:]
		}
	}
	parse(cssComment.ReplaceAllString(src, ""), "")
	return rules
}

// TestInlineStyleCopiesStylesheets checks that every declaration of
// index.html's inline style (the first paint's) is what the stylesheets
// declare for the same selector under the same @media: the inline block is
// a copy of their rules for the top bar and the skeleton, so that nothing
// moves or changes colour when the stylesheets arrive, and a change to
// those rules in a stylesheet that is not made to the copy fails here.
func TestInlineStyleCopiesStylesheets(t *testing.T) {
	files := Files()
	html, err := fs.ReadFile(files, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	blocks := inlineStyle.FindAllStringSubmatch(string(html), -1)
	if len(blocks) != 1 {
		t.Fatalf("index.html has %d <style> elements, want 1", len(blocks))
	}
	sheets, err := fs.Glob(files, "assets/*.css")
	if err != nil || len(sheets) == 0 {
		t.Fatalf("no stylesheets under assets/: %v", err)
	}
	// What the stylesheets declare, by @media and selector; a later rule
	// wins, as in the cascade (app.css comes before people.css).
	declared := map[[2]string]map[string]string{}
	for _, name := range sheets {
		src, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range parseCSS(t, name, string(src)) {
			key := [2]string{r.media, r.selector}
			if declared[key] == nil {
				declared[key] = map[string]string{}
			}
			for p, v := range r.decls {
				declared[key][p] = v
			}
		}
	}
	inline := parseCSS(t, "index.html <style>", blocks[0][1])
	if len(inline) == 0 {
		t.Fatal("index.html's <style> has no rules")
	}
	for _, r := range inline {
		where := r.selector
		if r.media != "" {
			where = r.media + " " + r.selector
		}
		got, ok := declared[[2]string{r.media, r.selector}]
		if !ok {
			t.Errorf("index.html <style>: %s is in no stylesheet; copy rules from assets/*.css, do not write new ones there", where)
			continue
		}
		for p, v := range r.decls {
			if got[p] != v {
				t.Errorf("index.html <style>: %s { %s: %s }, but the stylesheets say %q", where, p, v, got[p])
			}
		}
	}
}

// TestHostingGuideQuotesInlineStyleHash checks that the hosting guide's
// content security policy (README.md, the CloudFront response headers
// policy, which cannot compute it) allows index.html's inline style by its
// current hash: an edit to the style that is not carried to the guide would
// leave a hosted page with an unstyled skeleton.
func TestHostingGuideQuotesInlineStyleHash(t *testing.T) {
	source, err := InlineStyleSource()
	if err != nil {
		t.Fatal(err)
	}
	guide, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := "style-src 'self' " + source; !strings.Contains(strings.Join(strings.Fields(string(guide)), " "), want) {
		t.Errorf("web/README.md's Content-Security-Policy has no %s: index.html's inline style changed; put its new hash there", want)
	}
}

package awscheck_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pageReadsHeader matches the page's reads of a response header
// (resp.headers.get("Retry-After"), resp.headers.has(...)).
var pageReadsHeader = regexp.MustCompile(`headers\.(?:get|has)\("([^"]+)"\)`)

// corsSafelisted are the response headers a browser lets a cross-origin page
// read without Access-Control-Expose-Headers (Fetch standard, "CORS-safelisted
// response-header name").
var corsSafelisted = map[string]bool{
	"cache-control": true, "content-language": true, "content-length": true, "content-type": true,
	"expires": true, "last-modified": true, "pragma": true,
}

// TestTransformedCORS checks the HTTP API's CORS as aws-sam-translator
// generates it, which is what a browser on the page's origin (FrontendOrigin)
// is told when the page and the API are hosted apart (web/README.md): it may
// send Authorization and If-Match, and may read ETag, Location and
// Retry-After. Without Retry-After exposed, the browser hides it from the
// page, which then cannot say when a refused resend (429) or a busy API (503)
// can be tried again. Every header the page's modules read from a response
// must be exposed too, so a header the page starts reading cannot be left
// out.
func TestTransformedCORS(t *testing.T) {
	t.Parallel()
	_, tmpl := transformed(t)
	apis := tmpl.ofType("AWS::ApiGatewayV2::Api")
	if len(apis) != 1 {
		t.Fatalf("the transformed template has %d AWS::ApiGatewayV2::Api, want 1: %v", len(apis), apis)
	}
	cors, ok := lookup(tmpl.Resources[apis[0]].Properties, "Body", "x-amazon-apigateway-cors").(map[string]any)
	if !ok {
		t.Fatalf("%s has no Body.x-amazon-apigateway-cors: a page on another origin cannot call the API", apis[0])
	}
	list := func(key string) []string {
		var out []string
		items, _ := cors[key].([]any)
		for _, v := range items {
			s, _ := v.(string)
			out = append(out, strings.ToLower(s))
		}
		return out
	}
	origin := "https://users.businessapp.example.com" // FrontendOrigin in deployParameters
	if got := list("allowOrigins"); !slices.Equal(got, []string{origin}) {
		t.Errorf("CORS allowOrigins = %v, want only FrontendOrigin %s", got, origin)
	}
	allowed, exposed := list("allowHeaders"), list("exposeHeaders")
	for _, h := range []string{"Authorization", "Content-Type", "If-Match"} {
		if !slices.Contains(allowed, strings.ToLower(h)) {
			t.Errorf("CORS allowHeaders = %v, want %s among them: the page sends it", allowed, h)
		}
	}
	want := []string{"ETag", "Location", "Retry-After"}
	modules, err := filepath.Glob(filepath.Join(repoRoot, "web", "assets", "*.js"))
	if err != nil || len(modules) == 0 {
		t.Fatalf("the page's modules: %v, %v", modules, err)
	}
	for _, m := range modules {
		src, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range pageReadsHeader.FindAllStringSubmatch(string(src), -1) {
			want = append(want, r[1])
		}
	}
	slices.Sort(want)
	for _, h := range slices.Compact(want) {
		if !corsSafelisted[strings.ToLower(h)] && !slices.Contains(exposed, strings.ToLower(h)) {
			t.Errorf("CORS exposeHeaders = %v, want %s among them: the page reads it, and a browser hides it from a page on another origin", exposed, h)
		}
	}
}

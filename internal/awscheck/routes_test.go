package awscheck_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/businessapp/usermanagement/internal/httpapi"
)

// TestTransformedRoutes checks the HTTP API as aws-sam-translator generates
// it (the OpenAPI body of the AWS::ApiGatewayV2::Api, which moto cannot
// create): every route of the Go route table is there, integrated with its
// function (logical id <Operation>Function) and requiring the JWT
// authorizer with the JwtScope scope, and there is no other route.
func TestTransformedRoutes(t *testing.T) {
	t.Parallel()
	_, tmpl := transformed(t)
	apis := tmpl.ofType("AWS::ApiGatewayV2::Api")
	if len(apis) != 1 {
		t.Fatalf("the transformed template has %d AWS::ApiGatewayV2::Api, want 1: %v", len(apis), apis)
	}
	paths, _ := lookup(tmpl.Resources[apis[0]].Properties, "Body", "paths").(map[string]any)
	if len(paths) == 0 {
		t.Fatalf("%s has no Body.paths", apis[0])
	}
	want := map[string]bool{}
	for _, r := range httpapi.Routes() {
		key := r.Method + " " + r.Path
		want[key] = true
		op, ok := lookup(paths, r.Path, strings.ToLower(r.Method)).(map[string]any)
		if !ok {
			t.Errorf("route %s (%s) is not in the transformed HTTP API", key, r.Operation)
			continue
		}
		uri := fmt.Sprint(lookup(op, "x-amazon-apigateway-integration", "uri", "Fn::Sub"))
		if fn := "${" + r.Operation + "Function.Arn}"; !strings.Contains(uri, fn) {
			t.Errorf("route %s is integrated with %s, want the function %sFunction", key, uri, r.Operation)
		}
		if typ := lookup(op, "x-amazon-apigateway-integration", "type"); typ != "aws_proxy" {
			t.Errorf("route %s has integration type %v, want aws_proxy", key, typ)
		}
		security := fmt.Sprint(op["security"])
		if security != "[map[JwtAuthorizer:[map[Ref:JwtScope]]]]" {
			t.Errorf("route %s has security %s, want the JwtAuthorizer with the JwtScope scope", key, security)
		}
	}
	var extra []string
	for path, methods := range paths {
		m, _ := methods.(map[string]any)
		for method := range m {
			if key := strings.ToUpper(method) + " " + path; !want[key] {
				extra = append(extra, key)
			}
		}
	}
	sort.Strings(extra)
	for _, key := range extra {
		t.Errorf("the transformed HTTP API has %s, which is not in the route table", key)
	}
}

// lookup follows keys through nested maps; it returns nil where one is
// missing.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

func TestFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-business", "acme"}, true},
		{[]string{"-all", "-dry-run", "-table", "t"}, true},
		{[]string{}, false},                                    // neither a business nor -all
		{[]string{"-business", "acme", "-all"}, false},         // both
		{[]string{"-all", "extra"}, false},                     // stray argument
		{[]string{"-all", "-dry-run=maybe"}, false},            // not a boolean
		{[]string{"-business", "acme", "-since", "1h"}, false}, // no such flag
		{[]string{"-all", "-workers", "8"}, true},
		{[]string{"-all", "-workers", "0"}, false},
		{[]string{"-all", "-after", "acme"}, true},
		{[]string{"-business", "globex", "-after", "acme"}, false}, // -after resumes -all only
	} {
		if _, err := parse(tc.args, io.Discard); (err == nil) != tc.ok {
			t.Errorf("parse(%q) error = %v, want ok=%t", tc.args, err, tc.ok)
		}
	}
}

func TestUsageErrorsExitTwoBeforeTouchingAWS(t *testing.T) {
	if code := run(t.Context(), []string{"-business", "acme", "-all"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("exit status %d, want 2", code)
	}
}

// TestRunUpgradesAndThenFindsNothing runs the command as an operator
// would, over DynamoDB Local, on a business the first version wrote: the
// dry run says what it would do, the run does it, and the next run says
// there is nothing to change. The package's own tests (internal/dynamo,
// TestBackfill*) check the items and lists themselves.
func TestRunUpgradesAndThenFindsNothing(t *testing.T) {
	db := dynamotest.Client(t) // skips (or, in CI, fails) without DynamoDB Local
	table := dynamotest.NewTable(t, db)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	for _, item := range []map[string]types.AttributeValue{
		{"PK": s("BUSINESS#acme"), "SK": s("PROFILE"), "entity": s("business"), "id": s("acme"), "name": s("Acme"),
			"tabs": &types.AttributeValueMemberSS{Value: []string{"crm", "users"}}, "createdAt": s("2025-03-01T09:00:00Z")},
		{"PK": s("BUSINESS#acme"), "SK": s("USER#ann@acme.test"), "entity": s("user"), "businessId": s("acme"), "email": s("ann@acme.test"),
			"firstName": s("Ann"), "lastName": s("Lee"), "permissions": &types.AttributeValueMemberSS{Value: []string{"crm", "users"}},
			"createdAt": s("2025-03-01T09:00:00Z"), "updatedAt": s("2025-03-01T09:00:00Z"), "version": &types.AttributeValueMemberN{Value: "1"}},
	} {
		if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &table, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true", "AWS_SESSION_TOKEN": "", lambdaenv.EnvEndpoint: "",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		lambdaenv.EnvEndpointDynamoDB: dynamodblocal.EndpointFromEnv(), lambdaenv.EnvTableName: table,
	} {
		t.Setenv(k, v)
	}
	backfill := func(args ...string) (string, int) {
		t.Helper()
		var out, errs bytes.Buffer
		code := run(context.Background(), args, &out, &errs)
		t.Logf("backfill %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errs.String())
		return out.String(), code
	}
	for _, step := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"-all", "-dry-run"}, []string{"1 users scanned, 1 to update", "counters would agree: 1 users, 0 invited", "dry run: the changes above are what a run would write", "has no owner"}},
		{[]string{"-all"}, []string{"1 users scanned, 1 updated, 0 already current", "counters agree: 1 users, 0 invited", "done: every user is in today's shape"}},
		{[]string{"-business", "acme"}, []string{"1 users scanned, 0 updated, 1 already current", "done: nothing to change"}},
	} {
		out, code := backfill(step.args...)
		if code != 0 {
			t.Errorf("backfill %q exited %d, want 0", step.args, code)
		}
		for _, want := range step.wants {
			if !strings.Contains(out, want) {
				t.Errorf("backfill %q printed no %q", step.args, want)
			}
		}
		if strings.Contains(out, "ann@") {
			t.Errorf("backfill %q printed an email address", step.args)
		}
	}
	if _, code := backfill("-business", "globex"); code != 1 {
		t.Errorf("backfill of a business that does not exist exited %d, want 1", code)
	}
	if out, code := backfill("-all", "-after", "acme"); code != 0 || !strings.Contains(out, "total: 0 businesses") {
		t.Errorf("backfill -all -after acme exited %d; want 0 with no business read", code)
	}
}

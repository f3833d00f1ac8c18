// Package localtest starts the local stack for tests that drive it over
// HTTP (its own end-to-end tests and the browser tests of the web page).
package localtest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/local"
)

// Start runs the local stack on a free loopback port against the DynamoDB
// Local of `make test`, in table (a fresh one when table is ""), and stops
// it when the test ends. Without DynamoDB Local the test is skipped, or
// fails under REQUIRE_DYNAMODB (see dynamotest.Client).
func Start(t testing.TB, table string) *local.Stack {
	t.Helper()
	return StartWith(t, table, nil)
}

// StartWith is Start with the stack's configuration changed by configure
// (when not nil) before it starts: a test that needs invitations to expire
// within its run sets a short InvitationTTL, as INVITATION_TTL would.
func StartWith(t testing.TB, table string, configure func(*local.Config)) *local.Stack {
	t.Helper()
	client := dynamotest.Client(t)
	if table == "" {
		table = dynamotest.NewTable(t, client)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := local.Config{
		Addr: "127.0.0.1:0", DynamoDBEndpoint: dynamodblocal.EndpointFromEnv(), TableName: table,
		// Tests invite many users into the seeded business (paging
		// through more than a page of them); they set their own email
		// budget (SPEC §4) rather than depend on the default.
		InviteRate: lambdaenv.MaxInviteRate,
		// The tests that drive the stack check what it answers, not its
		// deadline (deadline_test.go starts its own stack with a short
		// one): a generous deadline keeps a machine busy with browser
		// tests from turning slow commits into 503s.
		RequestTimeout: 30 * time.Second,
		Log:            slog.New(slog.NewTextHandler(io.Discard, nil)), Console: io.Discard,
	}
	if configure != nil {
		configure(&cfg)
	}
	stack, err := local.Start(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); stack.Stop() })
	return stack
}

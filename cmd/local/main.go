// Command local runs the whole system on one machine (`make run`): see
// internal/local. Environment: ADDR (default 127.0.0.1:8080),
// DYNAMODB_ENDPOINT (use this DynamoDB instead of starting one), TABLE_NAME,
// and the route functions' settings that internal/lambdaenv reads
// (EMAIL_CLAIM, REQUEST_TIMEOUT, INVITE_RATE, INVITATION_TTL), which the
// local stack honours as the Lambdas do.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/local"
	"github.com/businessapp/usermanagement/internal/logging"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cwd, _ := os.Getwd()
	settings, err := lambdaenv.RouteSettingsFromEnv()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
	cfg := local.Config{
		EmailClaim:       settings.EmailClaim,
		RequestTimeout:   settings.RequestTimeout,
		InviteRate:       settings.InviteRate,
		InvitationTTL:    settings.InvitationTTL,
		Addr:             envOr("ADDR", "127.0.0.1:8080"),
		DynamoDBEndpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		TableName:        envOr("TABLE_NAME", "business-app-users"),
		RepoDir:          cwd,
		Log:              logging.New(os.Stderr, slog.LevelInfo),
		Console:          os.Stdout,
	}
	stack, err := local.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
	fmt.Printf(`
Business App User Management is running at %[1]s

  Seeded business %[2]q, manager %[3]s.
  Web page:     %[1]s/%[2]s/administration/users
  Get a token:  curl -s -X POST %[1]s/dev/token -d '{"email":"%[3]s"}'
  List users:   curl -s %[1]s/v1/businesses/%[2]s/users -H "Authorization: Bearer $TOKEN"

Press Ctrl-C to stop (this also stops the DynamoDB Local it started).
`, stack.URL, local.DemoBusiness, local.DemoOwner)
	err = stack.Wait()
	<-ctx.Done()
	if err != nil {
		fmt.Fprintln(os.Stderr, "local stack:", err)
		os.Exit(1)
	}
	fmt.Println("Stopped.")
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

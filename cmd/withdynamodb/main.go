// Command withdynamodb starts an in-memory DynamoDB Local, runs a command
// with DYNAMODB_ENDPOINT pointing at it, stops it, and exits with the
// command's status. `make test` runs the tests under it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/businessapp/usermanagement/internal/dynamodblocal"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: withdynamodb command [args...]")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cwd, _ := os.Getwd()
	jarDir, err := dynamodblocal.FindJarDir(cwd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withdynamodb:", err)
		return 1
	}
	ddb, err := dynamodblocal.Start(ctx, jarDir, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withdynamodb:", err)
		return 1
	}
	defer ddb.Stop()
	fmt.Fprintln(os.Stderr, "withdynamodb: DynamoDB Local at", ddb.Endpoint)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DYNAMODB_ENDPOINT="+ddb.Endpoint)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(os.Stderr, "withdynamodb:", err)
		return 1
	}
	return 0
}

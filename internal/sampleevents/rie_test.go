package sampleevents_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

// The packaging smoke test: each function is built as Lambda runs it (a
// static binary named bootstrap, -tags lambda.norpc, stripped) but for this
// machine's architecture, started under the Lambda Runtime Interface
// Emulator, and invoked with its sample event over the emulator's HTTP API.
// Only the endpoints differ from AWS: the SDK's own AWS_ENDPOINT_URL_DYNAMODB
// and AWS_ENDPOINT_URL point it at DynamoDB Local and at kumo.

// rieBinary is the emulator `make deps` installs into the repository.
const rieBinary = "aws-lambda-rie"

// findRIE returns the emulator, from the repository's bin/ (where `make
// test` installs it) or the PATH. Without it the test skips, unless
// REQUIRE_DYNAMODB is set: CI runs `make test`, which installs it, so there
// a missing emulator is a broken setup, not a reason to skip.
func findRIE(t testing.TB) string {
	t.Helper()
	local, err := filepath.Abs(filepath.Join(repoRoot, "bin", rieBinary))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(local); err == nil {
		return local
	}
	if path, err := exec.LookPath(rieBinary); err == nil {
		return path
	}
	msg := fmt.Sprintf("the Lambda Runtime Interface Emulator is not installed (%s, or %s on the PATH): `make test` (or `make deps`) installs it with go install", local, rieBinary)
	if os.Getenv("REQUIRE_DYNAMODB") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// buildBootstraps builds every function for this machine, as the Makefile
// builds them for Lambda, and returns each one's bootstrap by folder.
func buildBootstraps(t testing.TB) map[string]string {
	t.Helper()
	pkgs := map[string]string{}
	for _, s := range samples {
		pkgs[s.function] = "./functions/" + s.function
	}
	return buildPackages(t, pkgs)
}

// buildPackages builds main packages (by name, as paths from the
// repository root) as the Makefile builds the functions, but for this
// machine's architecture, and returns each one's bootstrap by name.
func buildPackages(t testing.TB, pkgs map[string]string) map[string]string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed to build the functions:", err)
	}
	dir := t.TempDir()
	out := map[string]string{}
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for name, pkg := range pkgs {
		bootstrap := filepath.Join(dir, name, "bootstrap")
		out[name] = bootstrap
		wg.Go(func() {
			cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bootstrap, pkg)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "GOFLAGS=-buildvcs=false")
			if msg, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				defer mu.Unlock()
				failures = append(failures, fmt.Sprintf("build %s: %v\n%s", pkg, err, msg))
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatal(strings.Join(failures, "\n"))
	}
	return out
}

// emulator is a bootstrap running under aws-lambda-rie.
type emulator struct {
	url    string // the invoke URL
	cmd    *exec.Cmd
	output *syncBuffer
	once   sync.Once
}

// stop ends the emulator and the function it runs.
func (e *emulator) stop() {
	e.once.Do(func() {
		_ = syscall.Kill(-e.cmd.Process.Pid, syscall.SIGKILL)
		_ = e.cmd.Wait()
	})
}

// startEmulator runs bootstrap under the emulator with env (and nothing of
// this process's environment but PATH), on free loopback ports, and waits
// until the emulator accepts connections. The function itself starts on
// the first invoke, as a cold start in Lambda does.
func startEmulator(t testing.TB, rie, bootstrap string, env []string) *emulator {
	t.Helper()
	ports := freePorts(t, 2)
	apiPort, runtimePort := ports[0], ports[1]
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+apiPort,
		// Its own Runtime API port: the default, 9001, is one for the
		// whole machine, and the samples run side by side.
		"--runtime-api-address", "127.0.0.1:"+runtimePort,
		"./bootstrap")
	cmd.Dir = filepath.Dir(bootstrap)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// A process group of its own, so that stopping it stops the bootstrap
	// it started too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", rie, err)
	}
	e := &emulator{url: "http://127.0.0.1:" + apiPort + "/2015-03-31/functions/function/invocations", cmd: cmd, output: out}
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("emulator and function output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+apiPort, time.Second)
		if err == nil {
			conn.Close()
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s within 20s: %v\n%s", apiPort, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// invoke sends an event to the function and decodes its answer into out.
func (e *emulator) invoke(t testing.TB, event []byte, out any) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(e.url, "application/json", bytes.NewReader(event))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the emulator answered %s: %s", resp.Status, body)
	}
	// A function that fails answers 200 with an error object instead.
	var failure struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(body, &failure) == nil && failure.ErrorType != "" {
		t.Fatalf("the function failed: %s: %s", failure.ErrorType, failure.ErrorMessage)
	}
	if err := decodeStrict(body, out); err != nil {
		t.Fatalf("the answer is not a %T: %v\n%s", out, err, body)
	}
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	// Every listener stays open until all n ports are chosen: closed one by
	// one, the kernel may hand the same port out twice, and the emulator
	// then panics binding its Runtime API to the port it already serves on.
	var ports []string
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		_, port, _ := net.SplitHostPort(l.Addr().String())
		ports = append(ports, port)
	}
	return ports
}

// syncBuffer collects a process's output, written from its pipes'
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// awsEnv is the environment a function gets here instead of Lambda's: a
// region, credentials the emulators accept, and the endpoints. Shared
// config files are kept out, so nothing of this machine's AWS setup leaks
// in.
func awsEnv(dynamoDB, kumoURL string) []string {
	return []string{
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=local",
		"AWS_SECRET_ACCESS_KEY=local",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		// The SDK's service-specific endpoint wins over the general one,
		// so DynamoDB goes to DynamoDB Local and SES and EventBridge to
		// kumo.
		"AWS_ENDPOINT_URL_DYNAMODB=" + dynamoDB,
		"AWS_ENDPOINT_URL=" + kumoURL,
	}
}

// TestSampleEventsUnderRIE runs every function's built bootstrap under the
// Lambda Runtime Interface Emulator, invokes it with its sample event, and
// checks the documented answer, as TestSampleEvents does in process.
func TestSampleEventsUnderRIE(t *testing.T) {
	rie := findRIE(t)
	db := dynamotest.Client(t)
	endpoint := dynamodblocal.EndpointFromEnv()
	bootstraps := buildBootstraps(t)
	srv := startKumo(t)
	for _, s := range samples {
		t.Run(s.function, func(t *testing.T) {
			t.Parallel()
			table := dynamotest.NewTable(t, db)
			k := newKumoWorld(t, srv)
			env := append(awsEnv(endpoint, k.server.URL), lambdaenv.EnvTableName+"="+table)
			raw := readEvent(t, s.function)
			if s.function == provisionFunction {
				var resp any // the handler returns only an error
				startEmulator(t, rie, bootstraps[s.function], env).invoke(t, raw, &resp)
				checkProvisioned(t, db, table)
				return
			}
			if s.function == streamFunction {
				ev := streamEvent(t)
				seed(t, db, table, false)
				seedActivity(t, db, table, ev.Records[0])
				env = append(env,
					lambdaenv.EnvEventBusName+"="+k.bus,
					lambdaenv.EnvSenderEmail+"="+k.sender,
					lambdaenv.EnvAppBaseURL+"="+appBaseURL)
				var resp events.DynamoDBEventResponse
				startEmulator(t, rie, bootstraps[s.function], env).invoke(t, raw, &resp)
				checkDelivery(t, k, db, table, ev, resp)
				return
			}
			seed(t, db, table, s.annInvited)
			var resp events.APIGatewayV2HTTPResponse
			startEmulator(t, rie, bootstraps[s.function], env).invoke(t, raw, &resp)
			checkRouteAnswer(t, s, httpEvent(t, s.function), resp)
		})
	}
	t.Run("list-tabs without TABLE_NAME", func(t *testing.T) {
		t.Parallel()
		checkInitFails(t, rie, bootstraps["list-tabs"])
	})
}

// checkInitFails checks what the smoke test relies on: that a function
// under the emulator sees only the environment it is given, so that a
// variable it needs but is not given fails here as it would in Lambda.
// Without TABLE_NAME, the function must fail its init and say why.
func checkInitFails(t *testing.T, rie, bootstrap string) {
	e := startEmulator(t, rie, bootstrap, awsEnv("http://127.0.0.1:1", "http://127.0.0.1:1"))
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Post(e.url, "application/json", strings.NewReader(string(readEvent(t, "list-tabs"))))
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ok events.APIGatewayV2HTTPResponse
	if json.Unmarshal(body, &ok) == nil && ok.StatusCode != 0 {
		t.Errorf("list-tabs answered %d without TABLE_NAME; want its init to fail: %s", ok.StatusCode, body)
	}
	// The emulator answers the invoke as soon as the process exits, which
	// can be before it has copied the process's last output line, so the
	// message is waited for rather than looked for once.
	said := lambdaenv.EnvTableName + " is not set"
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(e.output.String(), said) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(e.output.String(), said) {
		t.Errorf("the function did not say %s is missing; output:\n%s", lambdaenv.EnvTableName, e.output.String())
	}
}

package sampleevents_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

// BenchmarkColdStart measures, under the Lambda Runtime Interface Emulator
// on this machine, the time from invoking a freshly started function to its
// first answer (the bootstrap's process start, its init and the first
// event, as a cold start in Lambda), for every function and for a
// hello-world Go function built the same way (testdata/hello), interleaved
// in one run: each iteration starts every one of them afresh, in an order
// that rotates. The emulator is started and listening before the clock
// starts.
//
// The events need no database, so that what is measured is the function's
// own start: a route function gets its sample event without the
// authorizer's claims (it answers 401 without calling DynamoDB), the stream
// consumer an empty batch. The functions that parse phones load the phone
// library's metadata on the first parse, not at start, so each of them is
// measured a second time with a first request that parses a phone (subjects
// named "<function>-parsing-a-phone"): a valid phone and an invalid email,
// answered 400 before any call to DynamoDB. It reports each subject's
// median first answer, its ratio to hello world's, and the emulator's own
// INIT duration. Run it with
//
//	go test -run '^$' -bench ColdStart -benchtime 40x ./internal/sampleevents
func BenchmarkColdStart(b *testing.B) {
	rie := findRIE(b)
	pkgs := map[string]string{"hello": "./internal/sampleevents/testdata/hello", streamFunction: "./functions/" + streamFunction}
	for _, r := range httpapi.Routes() {
		pkgs[r.Function()] = "./functions/" + r.Function()
	}
	bootstraps := buildPackages(b, pkgs)
	// No request reaches AWS; the endpoints only keep a mistake local.
	env := append(awsEnv("http://127.0.0.1:9", "http://127.0.0.1:9"), lambdaenv.EnvTableName+"=users")
	streamEnv := append(slices.Clone(env),
		lambdaenv.EnvEventBusName+"=bus", lambdaenv.EnvSenderEmail+"=no-reply@example.com", lambdaenv.EnvAppBaseURL+"="+appBaseURL)

	type subject struct {
		name  string
		env   []string
		event []byte
		check func(body []byte) error
	}
	subjects := []subject{
		{"hello", nil, []byte(`{}`), func(body []byte) error {
			if !bytes.Contains(body, []byte("hello, world")) {
				return fmt.Errorf("answer %s", body)
			}
			return nil
		}},
		{streamFunction, streamEnv, []byte(`{"Records":[]}`), func(body []byte) error {
			var resp events.DynamoDBEventResponse
			if err := decodeStrict(body, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
				return fmt.Errorf("answer %s (%v)", body, err)
			}
			return nil
		}},
	}
	for _, r := range httpapi.Routes() {
		subjects = append(subjects, subject{r.Function(), env, unauthenticated(b, r.Function()), func(body []byte) error {
			var resp events.APIGatewayV2HTTPResponse
			if err := decodeStrict(body, &resp); err != nil || resp.StatusCode != http.StatusUnauthorized {
				return fmt.Errorf("answer %s (%v), want a 401", body, err)
			}
			return nil
		}})
	}
	// A function that parses phones loads the phone library's metadata on
	// first use (third_party/phonenumbers/FORK.md), so a refused request
	// does not show what a first request that parses a phone pays. These
	// subjects are such requests: authenticated, with a valid phone number
	// and an invalid email, so that the phone is parsed in full and the
	// answer is a 400 before any call to DynamoDB.
	for _, function := range phoneFunctions(b) {
		subjects = append(subjects, subject{function + phoneSuffix, env, parsesPhone(b, function), func(body []byte) error {
			var resp events.APIGatewayV2HTTPResponse
			if err := decodeStrict(body, &resp); err != nil || resp.StatusCode != http.StatusBadRequest ||
				!strings.Contains(resp.Body, "email") || strings.Contains(resp.Body, "phone") {
				return fmt.Errorf("answer %s (%v), want a 400 about the email alone", body, err)
			}
			return nil
		}})
		bootstraps[function+phoneSuffix] = bootstraps[function]
	}
	firstAnswer := map[string][]time.Duration{}
	initReport := map[string][]float64{}
	client := &http.Client{Timeout: 30 * time.Second}
	b.ResetTimer()
	for i := range b.N {
		for j := range subjects {
			s := subjects[(i+j)%len(subjects)]
			e := startEmulator(b, rie, bootstraps[s.name], s.env)
			start := time.Now()
			resp, err := client.Post(e.url, "application/json", bytes.NewReader(s.event))
			if err != nil {
				b.Fatalf("%s: invoke: %v", s.name, err)
			}
			body, err := io.ReadAll(resp.Body)
			elapsed := time.Since(start)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
			if err := s.check(body); err != nil {
				b.Fatalf("%s: %v\n%s", s.name, err, e.output.String())
			}
			e.stop()
			firstAnswer[s.name] = append(firstAnswer[s.name], elapsed)
			if ms, ok := initDuration(e.output.String()); ok {
				initReport[s.name] = append(initReport[s.name], ms)
			}
		}
	}
	b.StopTimer()
	hello := median(firstAnswer["hello"])
	for _, s := range subjects {
		m := median(firstAnswer[s.name])
		b.ReportMetric(float64(m.Microseconds())/1000, "ms-first-answer-"+s.name)
		if s.name != "hello" {
			b.ReportMetric(float64(m)/float64(hello), "x-hello-"+s.name)
		}
		if inits := initReport[s.name]; len(inits) > 0 {
			slices.Sort(inits)
			b.ReportMetric(inits[len(inits)/2], "ms-init-"+s.name)
		}
	}
	raw, _ := json.Marshal(firstAnswer)
	b.Logf("first answers (ns): %s", raw)
}

// unauthenticated returns a route function's sample event without the
// authorizer's claims: the function answers it 401 before any call to
// DynamoDB.
func unauthenticated(tb testing.TB, function string) []byte {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(readEvent(tb, function), &ev); err != nil {
		tb.Fatal(err)
	}
	rc, ok := ev["requestContext"].(map[string]any)
	if !ok {
		tb.Fatalf("events/%s.json has no requestContext", function)
	}
	delete(rc, "authorizer")
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// phoneSuffix names the cold-start subjects whose first request parses a
// phone number.
const phoneSuffix = "-parsing-a-phone"

// phoneFunctions returns the functions of the routes that parse phones.
func phoneFunctions(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, r := range httpapi.Routes() {
		if r.ParsesPhones {
			out = append(out, r.Function())
		}
	}
	if len(out) == 0 {
		tb.Fatal("no route parses phone numbers; the cold-start subjects that parse one have nothing to run")
	}
	return out
}

// parsesPhone returns a phone-parsing function's sample event with the body
// replaced by a valid phone number and an invalid email: the function parses
// the phone in full, then answers 400 before any call to DynamoDB.
func parsesPhone(tb testing.TB, function string) []byte {
	tb.Helper()
	var ev map[string]any
	if err := json.Unmarshal(readEvent(tb, function), &ev); err != nil {
		tb.Fatal(err)
	}
	body, err := json.Marshal(map[string]string{"email": "not an email", "phone": "+1 (415) 555-0100"})
	if err != nil {
		tb.Fatal(err)
	}
	ev["body"] = string(body)
	ev["isBase64Encoded"] = false
	if headers, ok := ev["headers"].(map[string]any); ok {
		headers["content-length"] = strconv.Itoa(len(body))
	}
	out, err := json.Marshal(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// initReportLine is the emulator's report of a function's init.
var initReportLine = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// initDuration reads the init duration the emulator reported, in ms.
func initDuration(output string) (float64, bool) {
	m := initReportLine.FindStringSubmatch(output)
	if m == nil {
		return 0, false
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	return ms, err == nil
}

// median returns the middle duration (the upper one of an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

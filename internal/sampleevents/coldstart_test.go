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
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/businessapp/usermanagement/internal/dynamo/dynamotest"
	"github.com/businessapp/usermanagement/internal/dynamodblocal"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

// BenchmarkColdStart measures, under the Lambda Runtime Interface Emulator
// on this machine, the time from invoking a freshly started function to its
// first answer (the bootstrap's start, its init and the first event, as a
// cold start in Lambda), for the largest function (the stream consumer,
// with its sample batch), for a route's function (list-tabs, with its
// sample event), and for a hello-world Go function built the same way
// (testdata/hello). The emulator is started and listening before the clock
// starts; each iteration starts every function afresh, in an order that
// rotates. It reports medians and the ratio to hello-world; the emulator's
// own INIT duration is reported too. Run it with
//
//	go run ./cmd/withdynamodb go test -run '^$' -bench ColdStart -benchtime 15x ./internal/sampleevents
//
// The stream consumer's first answer includes its real work against
// DynamoDB Local and kumo (reading its delivery state, the business and the
// inviter, sending the email, putting the event, marking both); the
// activity record is put back undelivered before each run.
func BenchmarkColdStart(b *testing.B) {
	rie := findRIE(b)
	db := dynamotest.Client(b)
	endpoint := dynamodblocal.EndpointFromEnv()
	bootstraps := buildPackages(b, map[string]string{
		streamFunction: "./functions/" + streamFunction,
		"list-tabs":    "./functions/list-tabs",
		"hello":        "./internal/sampleevents/testdata/hello",
	})
	srv := startKumo(b)
	k := newKumoWorld(b, srv)
	table := dynamotest.NewTable(b, db)
	seed(b, db, table, true)
	stream := streamEvent(b)
	env := append(awsEnv(endpoint, srv.URL), lambdaenv.EnvTableName+"="+table)
	streamEnv := append(slices.Clone(env),
		lambdaenv.EnvEventBusName+"="+k.bus, lambdaenv.EnvSenderEmail+"="+k.sender, lambdaenv.EnvAppBaseURL+"="+appBaseURL)

	type subject struct {
		name  string
		env   []string
		event []byte
		// before readies the world for a run, off the clock.
		before func()
		check  func(body []byte) error
	}
	subjects := []subject{
		{streamFunction, streamEnv, readEvent(b, streamFunction),
			func() { seedActivity(b, db, table, stream.Records[0]) },
			func(body []byte) error {
				var resp events.DynamoDBEventResponse
				if err := decodeStrict(body, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
					return fmt.Errorf("answer %s (%v)", body, err)
				}
				return nil
			}},
		{"list-tabs", env, readEvent(b, "list-tabs"), func() {},
			func(body []byte) error {
				var resp events.APIGatewayV2HTTPResponse
				if err := decodeStrict(body, &resp); err != nil || resp.StatusCode != http.StatusOK {
					return fmt.Errorf("answer %s (%v)", body, err)
				}
				return nil
			}},
		{"hello", nil, []byte(`{}`), func() {},
			func(body []byte) error {
				if !bytes.Contains(body, []byte("hello, world")) {
					return fmt.Errorf("answer %s", body)
				}
				return nil
			}},
	}
	firstAnswer := map[string][]time.Duration{}
	initReport := map[string][]float64{}
	client := &http.Client{Timeout: 30 * time.Second}
	b.ResetTimer()
	for i := range b.N {
		for j := range subjects {
			s := subjects[(i+j)%len(subjects)]
			s.before()
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

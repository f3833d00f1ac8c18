// Package sampleevents holds the tests of the sample events under events/,
// the events `sam local invoke -e` takes: one per function, each written
// for the same small world (business demo, its manager owner@demo.test and
// the user ann@example.com; events/README.md tells the story).
//
// The tests feed every event to its function twice: in process, through
// the wiring internal/lambdaenv gives the Lambda (NewRouteHandler,
// NewStreamHandler), and as a built bootstrap under the Lambda Runtime
// Interface Emulator (aws-lambda-rie), with the SDK pointed at DynamoDB
// Local and kumo through AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL.
// Both check the answer documented in docs/openapi.yaml (or, for the stream
// consumer, an empty BatchItemFailures, the welcome email and the event).
//
// The route events also derive each route function's DynamoDB permissions
// (TestEachRouteCallsExactlyItsActions): the IAM actions their requests
// need, with those of the branches a sample does not take, must be exactly
// the route table's.
package sampleevents

// Package bench measures the service against the floor DynamoDB sets.
//
// Its benchmarks run every operation of the API through the full path (an
// HTTP request to the route table's mux with the caller in its context, the
// service, the DynamoDB store, the engine) next to the bare DynamoDB
// requests the operation needs, sent with the SDK to the same engine in the
// same run; and they list and invite in a business of 1,000 users and in
// one of 100,000. `make bench` runs them and prints the ratios with
// cmd/benchtable; docs/PERFORMANCE.md explains the figures.
//
// The package holds only tests: the benchmarks, and a test that keeps the
// floor honest by checking it sends the same requests as the full path.
package bench

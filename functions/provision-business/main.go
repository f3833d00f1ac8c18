// Command provision-business is the Lambda function the EventBridge rule
// for the platform's BusinessUpserted and BusinessDeleted events invokes
// (SPEC §7). It is written by hand, like the stream consumer's: it serves
// no route, so cmd/genfunctions does not write it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/provisioning"
)

func main() {
	settings, err := lambdaenv.ProvisionSettingsFromEnv()
	if err != nil {
		lambdaenv.Fail(err)
	}
	handler, err := provisioning.Handler(context.Background(), settings)
	if err != nil {
		lambdaenv.Fail(err)
	}
	lambda.Start(handler)
}

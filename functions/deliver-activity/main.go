// Command deliver-activity is the Lambda function on the table's DynamoDB
// Stream: it sends the welcome email of every invite and puts the event of
// every change on EventBridge (SPEC §5). It is written by hand, unlike the
// route functions' mains, which cmd/genfunctions writes from the route table:
// it is the only function of its kind.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/businessapp/usermanagement/internal/lambdaenv"
	"github.com/businessapp/usermanagement/internal/lambdaenv/stream"
)

func main() {
	settings, err := lambdaenv.StreamSettingsFromEnv()
	if err != nil {
		lambdaenv.Fail(err)
	}
	handler, err := stream.Handler(context.Background(), settings)
	if err != nil {
		lambdaenv.Fail(err)
	}
	lambda.Start(handler)
}

// Command deliver-activity is the Lambda function on the table's DynamoDB
// Stream: it sends the welcome email of every invite and puts the event of
// every change on EventBridge (SPEC §5).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

func main() {
	handler, err := lambdaenv.StreamHandler(context.Background())
	if err != nil {
		lambdaenv.Fail(err)
	}
	lambda.Start(handler)
}

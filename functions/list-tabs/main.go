// Command list-tabs is the Lambda function of GET /v1/businesses/{businessId}/tabs
// (operation ListTabs in internal/httpapi's route table).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

func main() {
	handler, err := lambdaenv.RouteHandler(context.Background(), httpapi.OpListTabs)
	if err != nil {
		lambdaenv.Fail(err)
	}
	lambda.Start(handler)
}

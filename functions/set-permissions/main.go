// Command set-permissions is the Lambda function of PUT /v1/businesses/{businessId}/users/{email}/permissions
// (operation SetPermissions in internal/httpapi's route table).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

func main() {
	handler, err := lambdaenv.RouteHandler(context.Background(), httpapi.OpSetPermissions)
	if err != nil {
		lambdaenv.Fail(err)
	}
	lambda.Start(handler)
}

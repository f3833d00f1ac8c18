// Command invite-user is the Lambda function of POST /v1/businesses/{businessId}/users
// (operation InviteUser in internal/httpapi's route table).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

func main() {
	handler, err := lambdaenv.RouteHandler(context.Background(), httpapi.OpInviteUser)
	if err != nil {
		lambdaenv.Fail(err)
	}
	lambda.Start(handler)
}

// Command remove-user is the Lambda function of DELETE /v1/businesses/{businessId}/users/{email}
// (operation RemoveUser in internal/httpapi's route table).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/businessapp/usermanagement/internal/httpapi"
	"github.com/businessapp/usermanagement/internal/lambdaenv"
)

func main() {
	handler, err := lambdaenv.RouteHandler(context.Background(), httpapi.OpRemoveUser)
	if err != nil {
		lambdaenv.Fail(err)
	}
	lambda.Start(handler)
}

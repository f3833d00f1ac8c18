// Command hello is the smallest useful Go Lambda function: the baseline
// BenchmarkColdStart measures the service's functions against. It is built
// exactly as they are (static, -tags lambda.norpc, stripped).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (map[string]string, error) {
		return map[string]string{"message": "hello, world"}, nil
	})
}

package streampoll

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// NewLocalStreamsClient returns a DynamoDB Streams client for a DynamoDB
// Local endpoint (the one dynamodblocal.NewClient is given), which serves
// the Streams API on the same port. DynamoDB Local accepts any credentials;
// fixed ones keep the SDK from looking for real ones.
func NewLocalStreamsClient(endpoint string, optFns ...func(*dynamodbstreams.Options)) *dynamodbstreams.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	optFns = append([]func(*dynamodbstreams.Options){func(o *dynamodbstreams.Options) { o.BaseEndpoint = aws.String(endpoint) }}, optFns...)
	return dynamodbstreams.NewFromConfig(cfg, optFns...)
}

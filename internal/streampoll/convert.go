package streampoll

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Lambda fills these in for every DynamoDB stream record it delivers. They
// are only fallbacks: the stream's own values win when it sends them, as
// Lambda passes those through unchanged.
const (
	lambdaEventSource  = "aws:dynamodb"
	lambdaEventVersion = "1.1"
)

// eventRecord converts a record read from DynamoDB Streams into the record
// Lambda would hand the stream consumer for it. streamARN becomes the
// record's event source ARN, as it does in Lambda.
func eventRecord(streamARN string, r types.Record) (events.DynamoDBEventRecord, error) {
	out := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    aws.ToString(r.EventSource),
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: streamARN,
	}
	if out.EventSource == "" {
		out.EventSource = lambdaEventSource
	}
	if out.EventVersion == "" {
		out.EventVersion = lambdaEventVersion
	}
	if r.UserIdentity != nil {
		// Only deletions by Time to Live carry an identity; the consumer
		// uses it to tell them from deletions made by the service.
		out.UserIdentity = &events.DynamoDBUserIdentity{
			Type:        aws.ToString(r.UserIdentity.Type),
			PrincipalID: aws.ToString(r.UserIdentity.PrincipalId),
		}
	}
	change := r.Dynamodb
	if change == nil {
		return out, nil
	}
	var err error
	if out.Change.Keys, err = attributeMap(change.Keys); err != nil {
		return out, fmt.Errorf("record %s: Keys: %w", out.EventID, err)
	}
	if out.Change.NewImage, err = attributeMap(change.NewImage); err != nil {
		return out, fmt.Errorf("record %s: NewImage: %w", out.EventID, err)
	}
	if out.Change.OldImage, err = attributeMap(change.OldImage); err != nil {
		return out, fmt.Errorf("record %s: OldImage: %w", out.EventID, err)
	}
	out.Change.SequenceNumber = aws.ToString(change.SequenceNumber)
	out.Change.SizeBytes = aws.ToInt64(change.SizeBytes)
	out.Change.StreamViewType = string(change.StreamViewType)
	if change.ApproximateCreationDateTime != nil {
		out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *change.ApproximateCreationDateTime}
	}
	return out, nil
}

// attributeMap converts an item image or key. A missing image stays nil, so
// that it is left out of the event's JSON as Lambda leaves it out.
func attributeMap(in map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if in == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(in))
	for name, value := range in {
		converted, err := attributeValue(value)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		out[name] = converted
	}
	return out, nil
}

// attributeValue converts one value of any DynamoDB type, recursing into
// lists and maps.
func attributeValue(in types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := in.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *types.AttributeValueMemberNULL:
		// DynamoDB only ever stores NULL as true; there is no "not null".
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, element := range v.Value {
			converted, err := attributeValue(element)
			if err != nil {
				return events.DynamoDBAttributeValue{}, fmt.Errorf("list element %d: %w", i, err)
			}
			list[i] = converted
		}
		return events.NewListAttribute(list), nil
	case *types.AttributeValueMemberM:
		members, err := attributeMap(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		if members == nil {
			// An empty map is still a map; the nil from attributeMap means
			// "no image" and would lose that.
			members = map[string]events.DynamoDBAttributeValue{}
		}
		return events.NewMapAttribute(members), nil
	case *types.UnknownUnionMember:
		return events.DynamoDBAttributeValue{}, fmt.Errorf("attribute type %q is newer than this SDK", v.Tag)
	default:
		return events.DynamoDBAttributeValue{}, fmt.Errorf("unsupported attribute value %T", in)
	}
}

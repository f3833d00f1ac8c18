// Package streamlambda adapts the stream consumer to Lambda's DynamoDB
// stream events, as internal/gateway adapts HTTP handlers to API Gateway's
// events. The Lambda event types stay here, at the edge: it converts each
// record to the table's own terms (dynamo.StreamRecord), reads the activity
// it inserted, hands delivery plain records, and reports the records to
// retry as Lambda's partial batch failures.
package streamlambda

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/delivery"
	"github.com/businessapp/usermanagement/internal/dynamo"
)

// Deliverer delivers a batch of activity records and names the records to
// retry; *delivery.Consumer is one.
type Deliverer interface {
	Deliver(ctx context.Context, records []delivery.Record) (retry []string)
}

var _ Deliverer = (*delivery.Consumer)(nil)

// Handler returns the Lambda handler of the table's stream. It never fails
// the batch as a whole: the records d hands back are reported in
// BatchItemFailures, so Lambda retries from the earliest of them.
func Handler(d Deliverer) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			ctx = delivery.WithBatchID(ctx, lc.AwsRequestID)
		}
		for _, id := range d.Deliver(ctx, Records(ev)) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: id})
		}
		return resp, nil
	}
}

// Records reads the activity each record of a batch inserted, in order.
// Records that insert anything else, and modifications, are left out; a
// record that cannot be read is kept, with why, so that delivery records
// it as undeliverable.
func Records(ev events.DynamoDBEvent) []delivery.Record {
	var out []delivery.Record
	for _, rec := range ev.Records {
		sr, convertErr := StreamRecord(rec)
		a, ok, err := dynamo.ActivityFromStream(sr)
		if err != nil && convertErr != nil {
			// The image did not convert, so the decoder saw none: say why.
			err = fmt.Errorf("dynamo: activity image: %w", convertErr)
		}
		if !ok && err == nil {
			continue
		}
		out = append(out, delivery.Record{ID: rec.Change.SequenceNumber, EventID: rec.EventID, Activity: a, Err: err})
	}
	return out
}

// IsActivityInsert reports whether a stream record inserts an activity
// record: dynamo.IsActivityInsert for Lambda's records, which is the
// filter the local stream poller applies as the event source mapping's
// FilterCriteria would.
func IsActivityInsert(rec events.DynamoDBEventRecord) bool {
	sr, err := StreamRecord(rec)
	return err == nil && dynamo.IsActivityInsert(sr)
}

// StreamRecord converts a Lambda stream record to the table's own terms.
// When the new image cannot be converted, the record comes back with its
// keys and without an image, and the error says why.
func StreamRecord(rec events.DynamoDBEventRecord) (dynamo.StreamRecord, error) {
	out := dynamo.StreamRecord{Inserted: rec.EventName == string(events.DynamoDBOperationTypeInsert)}
	var err error
	if out.Keys, err = Item(rec.Change.Keys); err != nil {
		return dynamo.StreamRecord{Inserted: out.Inserted}, fmt.Errorf("keys: %w", err)
	}
	if out.NewImage, err = Item(rec.Change.NewImage); err != nil {
		out.NewImage = nil
		return out, fmt.Errorf("new image: %w", err)
	}
	return out, nil
}

// Item converts a stream image (the Lambda event's attribute values) to the
// SDK's attribute values, so records decode with the same code whichever
// way they were read. A nil image is nil.
func Item(image map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if image == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		av, err := attributeValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func attributeValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		list := v.List()
		out := make([]types.AttributeValue, len(list))
		for i, e := range list {
			av, err := attributeValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := Item(v.Map())
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = map[string]types.AttributeValue{}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	default:
		return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
	}
}

package dynamo

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// ActivityFromStream reads the activity a stream record inserted. Records
// that insert anything else, and modifications (such as delivery marks),
// return ok=false. It is the delivery consumer's RecordDecoder.
func ActivityFromStream(rec events.DynamoDBEventRecord) (team.Activity, bool, error) {
	if rec.EventName != string(events.DynamoDBOperationTypeInsert) {
		return team.Activity{}, false, nil
	}
	sk := rec.Change.Keys[AttrSK]
	if sk.DataType() != events.DataTypeString || !strings.HasPrefix(sk.String(), activityPrefix) {
		return team.Activity{}, false, nil
	}
	// Whatever else fails, the keys say which record to mark as undeliverable.
	keyed := team.Activity{ID: strings.TrimPrefix(sk.String(), activityPrefix)}
	if pk := rec.Change.Keys[AttrPK]; pk.DataType() == events.DataTypeString {
		keyed.BusinessID = strings.TrimPrefix(pk.String(), "BUSINESS#")
	}
	item, err := ItemFromStreamImage(rec.Change.NewImage)
	if err != nil {
		return keyed, false, fmt.Errorf("dynamo: activity image: %w", err)
	}
	// The same decoder the activity list uses, so a record reads the same
	// whether it comes from a Query or from the stream.
	r, err := decodeActivity(item)
	if err != nil {
		return keyed, false, fmt.Errorf("dynamo: decode activity: %w", err)
	}
	if r.Entity != EntityActivity || r.ID == "" || r.BusinessID == "" || r.Type == "" {
		return keyed, false, errors.New("dynamo: activity image lacks its entity, id, business or type")
	}
	return r.activity(), true, nil
}

// ItemFromStreamImage converts a stream image (the Lambda event's attribute
// values) to the SDK's attribute values, so records decode with the same
// code whichever way they were read.
func ItemFromStreamImage(image map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if image == nil {
		return nil, errors.New("the record has no new image (is the stream view NEW_AND_OLD_IMAGES?)")
	}
	out := make(map[string]types.AttributeValue, len(image))
	for k, v := range image {
		av, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromStreamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
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
			av, err := fromStreamValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := ItemFromStreamImage(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	default:
		return nil, fmt.Errorf("unknown attribute type %v", v.DataType())
	}
}

// IsActivityInsert reports whether a stream record inserts an activity
// record: the filter of the consumer's event source mapping (template.yaml
// says the same in FilterCriteria), applied locally by the stream poller.
func IsActivityInsert(rec events.DynamoDBEventRecord) bool {
	entity, ok := rec.Change.NewImage["entity"]
	return rec.EventName == string(events.DynamoDBOperationTypeInsert) && ok &&
		entity.DataType() == events.DataTypeString && entity.String() == EntityActivity
}

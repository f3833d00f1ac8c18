package streampoll

import (
	"encoding/base64"
	"slices"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
)

// compareAttributes lets cmp compare events.DynamoDBAttributeValue, whose
// fields are unexported, by turning each into plain Go values shaped like
// DynamoDB's JSON ({"S": "x"}, {"L": [...]}). Sets are sorted, since
// DynamoDB does not keep their order.
var compareAttributes = cmp.Transformer("plainAttribute", plainAttribute)

func plainAttribute(v events.DynamoDBAttributeValue) map[string]any {
	switch v.DataType() {
	case events.DataTypeString:
		return map[string]any{"S": v.String()}
	case events.DataTypeNumber:
		return map[string]any{"N": v.Number()}
	case events.DataTypeBinary:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(v.Binary())}
	case events.DataTypeBoolean:
		return map[string]any{"BOOL": v.Boolean()}
	case events.DataTypeNull:
		return map[string]any{"NULL": true}
	case events.DataTypeStringSet:
		return map[string]any{"SS": slices.Sorted(slices.Values(v.StringSet()))}
	case events.DataTypeNumberSet:
		return map[string]any{"NS": slices.Sorted(slices.Values(v.NumberSet()))}
	case events.DataTypeBinarySet:
		var set []string
		for _, b := range v.BinarySet() {
			set = append(set, base64.StdEncoding.EncodeToString(b))
		}
		slices.Sort(set)
		return map[string]any{"BS": set}
	case events.DataTypeList:
		list := []any{}
		for _, element := range v.List() {
			list = append(list, plainAttribute(element))
		}
		return map[string]any{"L": list}
	case events.DataTypeMap:
		members := map[string]any{}
		for name, member := range v.Map() {
			members[name] = plainAttribute(member)
		}
		return map[string]any{"M": members}
	default:
		return map[string]any{"unknown type": v.DataType()}
	}
}

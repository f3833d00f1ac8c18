package dynamo

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/businessapp/usermanagement/internal/team"
)

// StreamRecord is a record of the table's stream, in the SDK's attribute
// values, so that stream records decode with the same code as items read
// by a Query. The edge adapter that receives Lambda's stream events
// (internal/streamlambda) converts them to StreamRecords.
type StreamRecord struct {
	// Inserted is true for a record of a new item (INSERT), false for a
	// modification or a removal.
	Inserted bool
	// Keys are the item's primary key attributes.
	Keys map[string]types.AttributeValue
	// NewImage is the item after the change; nil when the stream view
	// carries no new image.
	NewImage map[string]types.AttributeValue
}

// ActivityFromStream reads the activity a stream record inserted. Records
// that insert anything else, and modifications (such as delivery marks),
// return ok=false. A record it cannot decode returns an error and, when the
// keys could be read, the activity's BusinessID and ID, so that the failure
// can be recorded on the item.
func ActivityFromStream(rec StreamRecord) (team.Activity, bool, error) {
	if !rec.Inserted {
		return team.Activity{}, false, nil
	}
	businessID, activityID, isActivity := activityKey(stringAttribute(rec.Keys, AttrPK), stringAttribute(rec.Keys, AttrSK))
	if !isActivity {
		return team.Activity{}, false, nil
	}
	// Whatever else fails, the keys say which record to mark as undeliverable.
	keyed := team.Activity{ID: activityID, BusinessID: businessID}
	if rec.NewImage == nil {
		return keyed, false, errors.New("dynamo: activity image: the record has no new image (is the stream view NEW_AND_OLD_IMAGES?)")
	}
	// The same decoder the activity list uses, so a record reads the same
	// whether it comes from a Query or from the stream.
	r, err := decodeActivity(rec.NewImage)
	if err != nil {
		return keyed, false, fmt.Errorf("dynamo: decode activity: %w", err)
	}
	if r.Entity != EntityActivity || r.ID == "" || r.BusinessID == "" || r.Type == "" {
		return keyed, false, errors.New("dynamo: activity image lacks its entity, id, business or type")
	}
	return r.activity(), true, nil
}

// IsActivityInsert reports whether a stream record inserts an activity
// record: the filter of the consumer's event source mapping (template.yaml
// says the same in FilterCriteria), applied locally by the stream poller.
func IsActivityInsert(rec StreamRecord) bool {
	return rec.Inserted && stringAttribute(rec.NewImage, attrEntity) == EntityActivity
}

// stringAttribute returns a string attribute of an item, "" when it is
// missing or of another type.
func stringAttribute(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

package dynamo

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestRecordTagsAreAttributeNames checks that every dynamodbav tag of the
// storage records names one of the attribute-name constants, which the
// decoders, the expressions and the stream decoding use: Go tags cannot
// name a constant, so this keeps the two spellings one.
func TestRecordTagsAreAttributeNames(t *testing.T) {
	names := []string{AttrPK, AttrSK, attrEntity, attrID, attrName, attrTabs, attrCreatedAt, attrUpdatedAt,
		attrBusinessID, attrEmail, attrFirstName, attrLastName, attrPhone, attrPermissions, attrInvitedBy,
		attrVersion, attrType, attrActor, attrActorID, attrStatus, attrExpiresAt, attrSentAt, attrActivatedAt, attrPicture,
		attrTarget, attrAt, attrChanges, attrFrom, attrTo, attrSlots, AttrByUserPK, AttrByTypePK,
		attrOwnerID, attrOwnerEmail, attrOwner, attrUsers, attrPhoneDisplay, attrRevision, attrDeleted, attrDeletedAt, attrPurged, attrPurgedItems,
		attrInvited, AttrStatusPK, AttrNamePK, AttrNameSK, AttrNewestPK, AttrNewestSK}
	for _, record := range []any{profileRecord{}, rateRecord{}, userRecord{}, activityRecord{}, personRecord{},
		changesRecord{}, permissionsChangeRecord{}, fieldChangeRecord{}, counterRecord{}, userIndexRecord{}} {
		typ := reflect.TypeOf(record)
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("dynamodbav"), ",")
			if !slices.Contains(names, name) {
				t.Errorf("%s.%s is stored as %q, which is not one of the attribute-name constants", typ.Name(), f.Name, name)
			}
		}
	}
}

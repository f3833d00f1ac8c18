package streampoll

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/google/go-cmp/cmp"
)

func TestAttributeValueConvertsEveryKind(t *testing.T) {
	tests := []struct {
		name string
		in   types.AttributeValue
		want events.DynamoDBAttributeValue
	}{
		{"string", &types.AttributeValueMemberS{Value: "Ada"}, events.NewStringAttribute("Ada")},
		{"empty string", &types.AttributeValueMemberS{Value: ""}, events.NewStringAttribute("")},
		{"number keeps its digits", &types.AttributeValueMemberN{Value: "12345678901234567890.5"}, events.NewNumberAttribute("12345678901234567890.5")},
		{"binary", &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}}, events.NewBinaryAttribute([]byte{0, 1, 0xff})},
		{"string set", &types.AttributeValueMemberSS{Value: []string{"users", "billing"}}, events.NewStringSetAttribute([]string{"users", "billing"})},
		{"number set", &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}}, events.NewNumberSetAttribute([]string{"1", "2.5"})},
		{"binary set", &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}}, events.NewBinarySetAttribute([][]byte{{1}, {2, 3}})},
		{"true", &types.AttributeValueMemberBOOL{Value: true}, events.NewBooleanAttribute(true)},
		{"false", &types.AttributeValueMemberBOOL{Value: false}, events.NewBooleanAttribute(false)},
		{"null", &types.AttributeValueMemberNULL{Value: true}, events.NewNullAttribute()},
		{"empty list", &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, events.NewListAttribute([]events.DynamoDBAttributeValue{})},
		{"empty map", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}, events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{})},
		{
			"list of every kind",
			&types.AttributeValueMemberL{Value: []types.AttributeValue{
				&types.AttributeValueMemberS{Value: "s"},
				&types.AttributeValueMemberN{Value: "1"},
				&types.AttributeValueMemberB{Value: []byte("b")},
				&types.AttributeValueMemberSS{Value: []string{"a"}},
				&types.AttributeValueMemberNS{Value: []string{"2"}},
				&types.AttributeValueMemberBS{Value: [][]byte{[]byte("c")}},
				&types.AttributeValueMemberBOOL{Value: true},
				&types.AttributeValueMemberNULL{Value: true},
				&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "inner"}}},
				&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberN{Value: "3"}}},
			}},
			events.NewListAttribute([]events.DynamoDBAttributeValue{
				events.NewStringAttribute("s"),
				events.NewNumberAttribute("1"),
				events.NewBinaryAttribute([]byte("b")),
				events.NewStringSetAttribute([]string{"a"}),
				events.NewNumberSetAttribute([]string{"2"}),
				events.NewBinarySetAttribute([][]byte{[]byte("c")}),
				events.NewBooleanAttribute(true),
				events.NewNullAttribute(),
				events.NewListAttribute([]events.DynamoDBAttributeValue{events.NewStringAttribute("inner")}),
				events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"k": events.NewNumberAttribute("3")}),
			}),
		},
		{
			"nested maps",
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"user": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
					"email": &types.AttributeValueMemberS{Value: "ada@example.test"},
					"phone": &types.AttributeValueMemberNULL{Value: true},
					"tabs":  &types.AttributeValueMemberSS{Value: []string{"users"}},
				}},
			}},
			events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
				"user": events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{
					"email": events.NewStringAttribute("ada@example.test"),
					"phone": events.NewNullAttribute(),
					"tabs":  events.NewStringSetAttribute([]string{"users"}),
				}),
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := attributeValue(tt.in)
			if err != nil {
				t.Fatalf("attributeValue: %v", err)
			}
			if got.DataType() != tt.want.DataType() {
				t.Errorf("data type = %v, want %v", got.DataType(), tt.want.DataType())
			}
			if diff := cmp.Diff(tt.want, got, compareAttributes); diff != "" {
				t.Errorf("attributeValue mismatch (-want +got):\n%s", diff)
			}
			// The consumer may also see the value as JSON (the Lambda
			// runtime decodes it from there), so both must agree.
			gotJSON, err := json.Marshal(got)
			if err != nil {
				t.Fatalf("marshal converted value: %v", err)
			}
			wantJSON, _ := json.Marshal(tt.want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("JSON = %s, want %s", gotJSON, wantJSON)
			}
		})
	}
}

func TestAttributeValueRejectsUnknownKinds(t *testing.T) {
	tests := []struct {
		name string
		in   types.AttributeValue
	}{
		{"unknown union member", &types.UnknownUnionMember{Tag: "VECTOR"}},
		{"unknown member inside a map", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"v": &types.UnknownUnionMember{Tag: "VECTOR"}}}},
		{"unknown member inside a list", &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.UnknownUnionMember{Tag: "VECTOR"}}}},
		{"nil", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := attributeValue(tt.in); err == nil {
				t.Error("attributeValue succeeded, want an error")
			}
		})
	}
}

func TestEventRecordIsWhatLambdaDelivers(t *testing.T) {
	const streamARN = "arn:aws:dynamodb:ddblocal:000000000000:table/users/stream/2026-01-01T00:00:00.000"
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	keys := map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "BUSINESS#demo"},
		"SK": &types.AttributeValueMemberS{Value: "USER#ada@example.test"},
	}
	wantKeys := map[string]events.DynamoDBAttributeValue{
		"PK": events.NewStringAttribute("BUSINESS#demo"),
		"SK": events.NewStringAttribute("USER#ada@example.test"),
	}
	tests := []struct {
		name string
		in   types.Record
		want events.DynamoDBEventRecord
	}{
		{
			name: "modify with both images",
			in: types.Record{
				AwsRegion:    aws.String("ddblocal"),
				EventID:      aws.String("e1"),
				EventName:    types.OperationTypeModify,
				EventSource:  aws.String("aws:dynamodb"),
				EventVersion: aws.String("1.1"),
				Dynamodb: &types.StreamRecord{
					ApproximateCreationDateTime: &created,
					Keys:                        keys,
					NewImage:                    map[string]types.AttributeValue{"tabs": &types.AttributeValueMemberSS{Value: []string{"users", "billing"}}},
					OldImage:                    map[string]types.AttributeValue{"tabs": &types.AttributeValueMemberSS{Value: []string{"users"}}},
					SequenceNumber:              aws.String("000000000000000000042"),
					SizeBytes:                   aws.Int64(99),
					StreamViewType:              types.StreamViewTypeNewAndOldImages,
				},
			},
			want: events.DynamoDBEventRecord{
				AWSRegion:      "ddblocal",
				EventID:        "e1",
				EventName:      "MODIFY",
				EventSource:    "aws:dynamodb",
				EventVersion:   "1.1",
				EventSourceArn: streamARN,
				Change: events.DynamoDBStreamRecord{
					ApproximateCreationDateTime: events.SecondsEpochTime{Time: created},
					Keys:                        wantKeys,
					NewImage:                    map[string]events.DynamoDBAttributeValue{"tabs": events.NewStringSetAttribute([]string{"users", "billing"})},
					OldImage:                    map[string]events.DynamoDBAttributeValue{"tabs": events.NewStringSetAttribute([]string{"users"})},
					SequenceNumber:              "000000000000000000042",
					SizeBytes:                   99,
					StreamViewType:              "NEW_AND_OLD_IMAGES",
				},
			},
		},
		{
			name: "insert has no old image",
			in: types.Record{
				EventID:   aws.String("e2"),
				EventName: types.OperationTypeInsert,
				Dynamodb: &types.StreamRecord{
					Keys:           keys,
					NewImage:       keys,
					SequenceNumber: aws.String("7"),
					StreamViewType: types.StreamViewTypeNewAndOldImages,
				},
			},
			want: events.DynamoDBEventRecord{
				EventID:        "e2",
				EventName:      "INSERT",
				EventSource:    "aws:dynamodb",
				EventVersion:   "1.1",
				EventSourceArn: streamARN,
				Change: events.DynamoDBStreamRecord{
					Keys:           wantKeys,
					NewImage:       wantKeys,
					SequenceNumber: "7",
					StreamViewType: "NEW_AND_OLD_IMAGES",
				},
			},
		},
		{
			name: "removal by time to live carries the service identity",
			in: types.Record{
				EventID:      aws.String("e3"),
				EventName:    types.OperationTypeRemove,
				UserIdentity: &types.Identity{Type: aws.String("Service"), PrincipalId: aws.String("dynamodb.amazonaws.com")},
				Dynamodb: &types.StreamRecord{
					Keys:           keys,
					OldImage:       keys,
					SequenceNumber: aws.String("8"),
					StreamViewType: types.StreamViewTypeNewAndOldImages,
				},
			},
			want: events.DynamoDBEventRecord{
				EventID:        "e3",
				EventName:      "REMOVE",
				EventSource:    "aws:dynamodb",
				EventVersion:   "1.1",
				EventSourceArn: streamARN,
				UserIdentity:   &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"},
				Change: events.DynamoDBStreamRecord{
					Keys:           wantKeys,
					OldImage:       wantKeys,
					SequenceNumber: "8",
					StreamViewType: "NEW_AND_OLD_IMAGES",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eventRecord(streamARN, tt.in)
			if err != nil {
				t.Fatalf("eventRecord: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, compareAttributes); diff != "" {
				t.Errorf("eventRecord mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventRecordNamesTheBadAttribute(t *testing.T) {
	_, err := eventRecord("arn", types.Record{
		EventID: aws.String("e9"),
		Dynamodb: &types.StreamRecord{
			NewImage: map[string]types.AttributeValue{"embedding": &types.UnknownUnionMember{Tag: "VECTOR"}},
		},
	})
	if err == nil || !strings.Contains(err.Error(), "NewImage") || !strings.Contains(err.Error(), "embedding") {
		t.Errorf("eventRecord error = %v, want one naming NewImage and the attribute embedding", err)
	}
}

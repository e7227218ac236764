package dhis2

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestAddConflictFoldsIdenticalConflicts(t *testing.T) {
	s := NewImportSummary()
	unknown := Conflict{Object: "XYZ", Value: "Data element not found or not accessible", ErrorCode: "E7610", Property: "dataElement"}
	s.AddConflict(7, unknown)
	s.AddConflict(2, Conflict{Object: "202604", Value: "Period is after latest open future period", ErrorCode: "E7641", Property: "period"})
	s.AddConflict(3, unknown)
	s.AddConflict(3, unknown) // the same record twice is listed once
	s.ImportCount = ImportCount{Imported: 5, Ignored: 3}

	if s.Status != StatusWarning {
		t.Errorf("status %q", s.Status)
	}
	if len(s.Conflicts) != 2 || !reflect.DeepEqual(s.Conflicts[0].Indexes, []int{7, 3}) ||
		!reflect.DeepEqual(s.Conflicts[1].Indexes, []int{2}) {
		t.Errorf("conflicts %+v", s.Conflicts)
	}
	if !reflect.DeepEqual(s.RejectedIndexes, []int{2, 3, 7}) {
		t.Errorf("rejected %v", s.RejectedIndexes)
	}

	// The JSON is DHIS2's: these keys, these spellings.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":5,"updated":0,"ignored":3,"deleted":0},` +
		`"conflicts":[{"object":"XYZ","value":"Data element not found or not accessible","errorCode":"E7610","property":"dataElement","indexes":[7,3]},` +
		`{"object":"202604","value":"Period is after latest open future period","errorCode":"E7641","property":"period","indexes":[2]}],` +
		`"rejectedIndexes":[2,3,7]}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
}

func TestAddConflictKeepsError(t *testing.T) {
	s := NewImportSummary()
	s.Status = StatusError
	s.AddConflict(0, Conflict{Object: "o", Value: "v"})
	if s.Status != StatusError {
		t.Errorf("status %q", s.Status)
	}
}

func TestReadImportSummary(t *testing.T) {
	// The older bare form, as in DHIS2 before 2.38.
	bare := `{"responseType":"ImportSummary","status":"SUCCESS","description":"Import process completed successfully",
		"importCount":{"imported":3,"updated":1,"ignored":0,"deleted":0},"dataSetComplete":"false"}`
	// The 2.38+ web message wrapping, with the richer conflicts.
	wrapped := `{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One more conflicts encountered",
		"response":{"responseType":"ImportSummary","status":"WARNING",
		"importCount":{"imported":0,"updated":0,"ignored":1,"deleted":0},
		"conflicts":[{"object":"202604","objects":{"period":"202604"},"value":"Period is after latest open future period",
		"errorCode":"E7641","property":"period","indexes":[0]}],"rejectedIndexes":[0]}}`
	tests := []struct {
		name, in string
		want     ImportSummary
	}{
		{"bare", bare, ImportSummary{ResponseType: "ImportSummary", Status: StatusSuccess,
			Description: "Import process completed successfully", ImportCount: ImportCount{Imported: 3, Updated: 1}}},
		{"wrapped", wrapped, ImportSummary{ResponseType: "ImportSummary", Status: StatusWarning,
			ImportCount: ImportCount{Ignored: 1},
			Conflicts: []Conflict{{Object: "202604", Value: "Period is after latest open future period",
				ErrorCode: "E7641", Property: "period", Indexes: []int{0}}},
			RejectedIndexes: []int{0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadImportSummary(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if _, err := ReadImportSummary(strings.NewReader("<html>")); err == nil {
		t.Error("HTML read as a summary")
	}
}

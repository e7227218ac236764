package dhis2

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// Import summary statuses.
const (
	StatusSuccess = "SUCCESS"
	StatusWarning = "WARNING"
	StatusError   = "ERROR"
)

// ImportSummary is DHIS2's answer to a data value import (POST /api/dataValueSets), in the
// documented JSON shape: responseType, status, description, importCount and conflicts. Since
// 2.38 a conflict carries, besides the original object and value, an errorCode (E7xxx), the
// property at fault and the indexes of the data values it concerns (0-based positions in the
// request), and the summary lists every rejected index in rejectedIndexes; we implement that
// newer shape, which older clients read as before because the added keys are optional.
// DHIS2 2.38+ wraps the summary in a web message ({"httpStatus": …, "response": {…}});
// ReadImportSummary takes either form.
type ImportSummary struct {
	ResponseType    string      `json:"responseType"`
	Status          string      `json:"status"`
	Description     string      `json:"description,omitempty"`
	ImportCount     ImportCount `json:"importCount"`
	Conflicts       []Conflict  `json:"conflicts,omitempty"`
	RejectedIndexes []int       `json:"rejectedIndexes,omitempty"`
}

// ImportCount counts data values by what the import did with them.
type ImportCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

// Conflict is one reason data values were not imported. Object is the offending identifier or
// value and Value the message, as in every DHIS2 version; ErrorCode, Property and Indexes are the
// 2.38+ additions (see ImportSummary).
type Conflict struct {
	Object    string `json:"object"`
	Value     string `json:"value"`
	ErrorCode string `json:"errorCode,omitempty"`
	Property  string `json:"property,omitempty"`
	Indexes   []int  `json:"indexes,omitempty"`
}

// NewImportSummary returns an empty successful summary.
func NewImportSummary() ImportSummary {
	return ImportSummary{ResponseType: "ImportSummary", Status: StatusSuccess}
}

// AddConflict records that the data value at index i (0-based, in request order) was rejected
// for c. Like DHIS2, it folds identical conflicts into one entry listing all their indexes, so a
// file with one unknown data element on ten thousand rows gives one conflict, not ten thousand.
// The index joins RejectedIndexes; the status becomes WARNING unless it is already ERROR.
func (s *ImportSummary) AddConflict(i int, c Conflict) {
	c.Indexes = nil
	k := slices.IndexFunc(s.Conflicts, func(x Conflict) bool {
		return x.Object == c.Object && x.Value == c.Value && x.ErrorCode == c.ErrorCode && x.Property == c.Property
	})
	if k < 0 {
		s.Conflicts = append(s.Conflicts, c)
		k = len(s.Conflicts) - 1
	}
	if !slices.Contains(s.Conflicts[k].Indexes, i) {
		s.Conflicts[k].Indexes = append(s.Conflicts[k].Indexes, i)
	}
	if at, found := slices.BinarySearch(s.RejectedIndexes, i); !found {
		s.RejectedIndexes = slices.Insert(s.RejectedIndexes, at, i)
	}
	if s.Status != StatusError {
		s.Status = StatusWarning
	}
}

// ReadImportSummary reads DHIS2's import response, bare or wrapped in a web message.
func ReadImportSummary(r io.Reader) (ImportSummary, error) {
	var msg struct {
		ImportSummary
		Response *ImportSummary `json:"response"`
	}
	if err := json.NewDecoder(r).Decode(&msg); err != nil {
		return ImportSummary{}, fmt.Errorf("read import summary: %w", err)
	}
	if msg.Response != nil {
		return *msg.Response, nil
	}
	return msg.ImportSummary, nil
}

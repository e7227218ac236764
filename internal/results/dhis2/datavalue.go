package dhis2

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DataValue is one aggregate value as DHIS2 exchanges it. The JSON tags are DHIS2's own, so a
// DataValue marshals to the dataValueSets shape directly.
//
// Deleted is DHIS2's soft-delete flag. Its exports carry it (includeDeleted=true, and as the
// eleventh CSV column of current versions); dropping it on read would turn a deletion into an
// import.
type DataValue struct {
	DataElement          string `json:"dataElement,omitempty"`
	Period               string `json:"period,omitempty"`
	OrgUnit              string `json:"orgUnit,omitempty"`
	CategoryOptionCombo  string `json:"categoryOptionCombo,omitempty"`
	AttributeOptionCombo string `json:"attributeOptionCombo,omitempty"`
	Value                string `json:"value,omitempty"`
	StoredBy             string `json:"storedBy,omitempty"`
	Created              string `json:"created,omitempty"`
	LastUpdated          string `json:"lastUpdated,omitempty"`
	Comment              string `json:"comment,omitempty"`
	// DHIS2 spells the key "followup"; it always writes it, so we do too.
	FollowUp bool `json:"followup"`
	Deleted  bool `json:"deleted,omitempty"`
}

// DataValueSet is the dataValueSets document. Set-level Period, OrgUnit and
// AttributeOptionCombo apply to data values that lack their own; ReadJSON copies them down.
type DataValueSet struct {
	DataSet              string      `json:"dataSet,omitempty"`
	CompleteDate         string      `json:"completeDate,omitempty"`
	Period               string      `json:"period,omitempty"`
	OrgUnit              string      `json:"orgUnit,omitempty"`
	AttributeOptionCombo string      `json:"attributeOptionCombo,omitempty"`
	DataValues           []DataValue `json:"dataValues"`
}

// Limits against hostile input. The body size is the caller's to cap; these bound what a body
// of that size can make us hold or report.
const (
	// MaxRecords caps data values per document (ADX: across all groups).
	MaxRecords = 1_000_000
	// MaxIDLength caps identifiers, periods, user names and dates, in characters. DHIS2 codes
	// are at most 50 and names 230, so this leaves room for the name id scheme.
	MaxIDLength = 1024
	// MaxTextLength caps values and comments, in characters: DHIS2 refuses longer ones.
	MaxTextLength = 50_000
	// MaxADXAttributes caps disaggregation attributes on one ADX element.
	MaxADXAttributes = 64
)

// maxRecords is MaxRecords; tests lower it to exercise the cap without a million rows.
var maxRecords = MaxRecords

// Rules named by FormatError. The first ones match internal/valid's rule names so callers can
// pass them on as valid.FieldError.
const (
	RuleRequired = "required"  // a mandatory field is empty or missing
	RuleMaxLen   = "max_len"   // Detail holds the limit in characters
	RuleBool     = "bool"      // not true/false
	RuleTooLarge = "too_large" // more than MaxRecords data values; Detail holds the limit
	RuleJSON     = "json"      // malformed JSON or a value of the wrong JSON type
	RuleCSV      = "csv"       // malformed CSV (quotes) or too many columns
	RuleXML      = "xml"       // malformed XML, wrong root or namespace, bad attribute name
	RulePeriod   = "period"    // an ADX period is not date/duration
)

// FormatError is a problem in an interchange document, located as precisely as the format allows.
type FormatError struct {
	Record int    // 1-based data value number; 0 when the problem is not inside one data value
	Group  int    // ADX only: 1-based group number
	Line   int    // 1-based input line; 0 when unknown
	Field  string // the key, column or attribute; empty for syntax errors
	Rule   string // one of the Rule constants
	Detail string // the limit for max_len/too_large, otherwise a human-readable explanation
}

func (e *FormatError) Error() string {
	var b strings.Builder
	switch {
	case e.Record > 0:
		fmt.Fprintf(&b, "record %d", e.Record)
	case e.Group > 0:
		fmt.Fprintf(&b, "group %d", e.Group)
	}
	if e.Line > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "(line %d)", e.Line)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Rule)
	if e.Detail != "" {
		b.WriteString(" (" + e.Detail + ")")
	}
	return b.String()
}

// checkLen reports the first field over its limit. Fields are name/value pairs; values and
// comments get the long limit.
func checkLen(fields ...string) (field string, limit int, ok bool) {
	for i := 0; i+1 < len(fields); i += 2 {
		limit := MaxIDLength
		if fields[i] == "value" || fields[i] == "comment" {
			limit = MaxTextLength
		}
		if s := fields[i+1]; len(s) > limit && utf8.RuneCountInString(s) > limit {
			return fields[i], limit, false
		}
	}
	return "", 0, true
}

// lengthError is checkLen as a FormatError, or nil.
func lengthError(record, line int, fields ...string) *FormatError {
	if f, limit, ok := checkLen(fields...); !ok {
		return &FormatError{Record: record, Line: line, Field: f, Rule: RuleMaxLen, Detail: strconv.Itoa(limit)}
	}
	return nil
}

// valueFields lists a data value's text fields for checkLen.
func valueFields(v DataValue) []string {
	return []string{
		"dataElement", v.DataElement, "period", v.Period, "orgUnit", v.OrgUnit,
		"categoryOptionCombo", v.CategoryOptionCombo, "attributeOptionCombo", v.AttributeOptionCombo,
		"value", v.Value, "storedBy", v.StoredBy, "created", v.Created, "lastUpdated", v.LastUpdated,
		"comment", v.Comment,
	}
}

// checkValue applies the rules every reader shares: the coordinates DHIS2 needs to place a
// value, and the length limits. Period syntax is not checked here: DHIS2 has period types this
// package does not parse (weekly Wednesday, bi-weekly …), and refusing them would refuse valid data.
func checkValue(record, line int, v DataValue) *FormatError {
	for _, f := range [...]struct{ name, val string }{
		{"dataElement", v.DataElement}, {"period", v.Period}, {"orgUnit", v.OrgUnit},
	} {
		if f.val == "" {
			return &FormatError{Record: record, Line: line, Field: f.name, Rule: RuleRequired}
		}
	}
	return lengthError(record, line, valueFields(v)...)
}

// parseBool reads DHIS2's booleans. DHIS2 writes true/false; hand-made files bring the rest.
// An empty cell (or a literal null, which some exporters write) means false.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "false", "f", "0", "null":
		return false, true
	case "true", "t", "1":
		return true, true
	}
	return false, false
}

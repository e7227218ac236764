package dhis2

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// CSVHeader is the header WriteCSV writes: DHIS2's column order, as its CSV export writes it.
// DHIS2 documents ten columns; current versions export an eleventh, deleted.
var CSVHeader = []string{
	"dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo",
	"value", "storedby", "lastupdated", "comment", "followup", "deleted",
}

// Columns are positional, as in DHIS2: the header's names are not read.
const (
	colDataElement = iota
	colPeriod
	colOrgUnit
	colCategoryOptionCombo
	colAttributeOptionCombo
	colValue
	colStoredBy
	colLastUpdated
	colComment
	colFollowUp
	colDeleted
	csvColumns
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// isCSVHeader tells a header row from data. DHIS2 always skips the first row; we skip it only
// when its second cell names the period column, which no data row can hold as a period. The
// first cell alone would not do: "dataelement" is a well-formed DHIS2 uid.
func isCSVHeader(rec []string) bool {
	if len(rec) < 2 {
		return false
	}
	p := strings.ToLower(strings.TrimSpace(rec[colPeriod]))
	return p == "period" || p == "pe"
}

// ReadCSV reads DHIS2's data value CSV: columns dataelement, period, orgunit,
// categoryoptioncombo, attributeoptioncombo, value, storedby, lastupdated, comment, followup
// and (newer exports) deleted, by position. Rows may stop after orgunit. A header row is
// optional and detected; a UTF-8 byte order mark is skipped. Identifier cells are trimmed of
// surrounding spaces; value and comment are kept as written. Errors are *FormatError naming the
// record (1-based data row) and line.
func ReadCSV(r io.Reader) ([]DataValue, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // rows may stop after orgunit
	var values []DataValue
	first := true
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fe := &FormatError{Record: len(values) + 1, Rule: RuleCSV, Detail: err.Error()}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				fe.Line, fe.Detail = pe.Line, pe.Err.Error()
			}
			return nil, fe
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if isCSVHeader(rec) {
				continue
			}
		}
		n := len(values) + 1
		if n > maxRecords {
			return nil, &FormatError{Record: n, Line: line, Rule: RuleTooLarge, Detail: strconv.Itoa(maxRecords)}
		}
		if len(rec) > csvColumns {
			return nil, &FormatError{Record: n, Line: line, Rule: RuleCSV,
				Detail: fmt.Sprintf("%d columns, at most %d expected", len(rec), csvColumns)}
		}
		v, fe := csvValue(n, line, rec)
		if fe != nil {
			return nil, fe
		}
		values = append(values, v)
	}
	return values, nil
}

func csvValue(n, line int, rec []string) (DataValue, *FormatError) {
	cell := func(i int) string {
		if i < len(rec) {
			return rec[i]
		}
		return ""
	}
	id := func(i int) string { return strings.TrimSpace(cell(i)) }
	v := DataValue{
		DataElement:          id(colDataElement),
		Period:               id(colPeriod),
		OrgUnit:              id(colOrgUnit),
		CategoryOptionCombo:  id(colCategoryOptionCombo),
		AttributeOptionCombo: id(colAttributeOptionCombo),
		Value:                cell(colValue),
		StoredBy:             id(colStoredBy),
		LastUpdated:          id(colLastUpdated),
		Comment:              cell(colComment),
	}
	for _, b := range [...]struct {
		col  int
		name string
		dst  *bool
	}{{colFollowUp, "followup", &v.FollowUp}, {colDeleted, "deleted", &v.Deleted}} {
		x, ok := parseBool(id(b.col))
		if !ok {
			return v, &FormatError{Record: n, Line: line, Field: b.name, Rule: RuleBool, Detail: id(b.col)}
		}
		*b.dst = x
	}
	if fe := checkValue(n, line, v); fe != nil {
		return v, fe
	}
	return v, nil
}

// WriteCSV writes values as DHIS2 CSV with the CSVHeader row. Created has no column in DHIS2's
// CSV and is not written.
func WriteCSV(w io.Writer, values []DataValue) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write data value CSV: %w", err)
	}
	for _, v := range values {
		rec := []string{
			v.DataElement, v.Period, v.OrgUnit, v.CategoryOptionCombo, v.AttributeOptionCombo,
			v.Value, v.StoredBy, v.LastUpdated, v.Comment,
			strconv.FormatBool(v.FollowUp), strconv.FormatBool(v.Deleted),
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write data value CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write data value CSV: %w", err)
	}
	return nil
}

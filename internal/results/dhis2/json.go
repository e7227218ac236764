package dhis2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// jsonText accepts a JSON string, number or boolean as text: DHIS2 documents values as strings,
// but clients often send "value": 12, and Jackson on the DHIS2 side takes either.
type jsonText string

func (t *jsonText) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0:
		return errors.New("empty")
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = jsonText(s)
	case string(b) == "null":
		*t = ""
	case b[0] == '{' || b[0] == '[':
		return errors.New("expected a string, found an object or array")
	default: // number, true, false: keep the literal as written
		*t = jsonText(b)
	}
	return nil
}

// jsonBool accepts true/false and their string forms ("true", "false"), as Jackson does.
type jsonBool bool

func (v *jsonBool) UnmarshalJSON(b []byte) error {
	var t jsonText
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	x, ok := parseBool(string(t))
	if !ok {
		return fmt.Errorf("expected true or false, found %s", b)
	}
	*v = jsonBool(x)
	return nil
}

// jsonValue is the reading side of DataValue. encoding/json matches keys case-insensitively,
// so both DHIS2's "followup" and the "followUp" some clients write land in FollowUp.
type jsonValue struct {
	DataElement          jsonText `json:"dataElement"`
	Period               jsonText `json:"period"`
	OrgUnit              jsonText `json:"orgUnit"`
	CategoryOptionCombo  jsonText `json:"categoryOptionCombo"`
	AttributeOptionCombo jsonText `json:"attributeOptionCombo"`
	Value                jsonText `json:"value"`
	StoredBy             jsonText `json:"storedBy"`
	Created              jsonText `json:"created"`
	LastUpdated          jsonText `json:"lastUpdated"`
	Comment              jsonText `json:"comment"`
	FollowUp             jsonBool `json:"followup"`
	Deleted              jsonBool `json:"deleted"`
}

// ReadJSON reads a dataValueSets JSON document (the DHIS2 shape, see the package doc); a
// leading UTF-8 byte order mark is skipped. Data
// values without their own period, orgUnit or attributeOptionCombo take the set's. Every data
// value must end up with a dataElement, period and orgUnit. Unknown keys are ignored, as DHIS2
// ignores them. Errors are *FormatError naming the record (1-based) and line.
//
// The input is read whole: the caller caps its size, and holding it lets errors give line numbers.
func ReadJSON(r io.Reader) (DataValueSet, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return DataValueSet{}, fmt.Errorf("read dataValueSet: %w", err)
	}
	data = bytes.TrimPrefix(data, utf8BOM) // Windows tools write one; JSON has no use for it
	jr := jsonReader{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	set, err := jr.read()
	if err != nil {
		return DataValueSet{}, err
	}
	return set, nil
}

type jsonReader struct {
	data []byte
	dec  *json.Decoder
}

// line turns a byte offset into a 1-based line number.
func (jr *jsonReader) line(offset int64) int {
	if offset > int64(len(jr.data)) {
		offset = int64(len(jr.data))
	}
	return 1 + bytes.Count(jr.data[:offset], []byte{'\n'})
}

// syntax turns a decoder error into a FormatError with the best line we can find.
func (jr *jsonReader) syntax(record int, field string, err error) *FormatError {
	fe := &FormatError{Record: record, Field: field, Rule: RuleJSON, Detail: err.Error()}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		fe.Line = jr.line(se.Offset)
	case errors.As(err, &te):
		fe.Line = jr.line(te.Offset)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		fe.Line = jr.line(int64(len(jr.data)))
		fe.Detail = "unexpected end of input"
	default:
		fe.Line = jr.line(jr.dec.InputOffset())
	}
	return fe
}

// delim reads the next token and insists it is d.
func (jr *jsonReader) delim(d json.Delim, field string) error {
	tok, err := jr.dec.Token()
	if err != nil {
		return jr.syntax(0, field, err)
	}
	if got, ok := tok.(json.Delim); !ok || got != d {
		return &FormatError{Field: field, Rule: RuleJSON, Line: jr.line(jr.dec.InputOffset()),
			Detail: fmt.Sprintf("expected %q, found %v", d, tok)}
	}
	return nil
}

// startLine is the line where the next value starts: InputOffset points before the separating
// comma and whitespace, which may sit on the previous line.
func (jr *jsonReader) startLine() int {
	off := int(jr.dec.InputOffset())
	for off < len(jr.data) {
		switch jr.data[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
			continue
		}
		break
	}
	return jr.line(int64(off))
}

func (jr *jsonReader) read() (DataValueSet, error) {
	var set DataValueSet
	var lines []int // start line of each data value, for errors found after inheritance
	if err := jr.delim('{', ""); err != nil {
		return set, err
	}
	for jr.dec.More() {
		tok, err := jr.dec.Token()
		if err != nil {
			return set, jr.syntax(0, "", err)
		}
		key, _ := tok.(string) // inside an object the decoder only yields string keys
		var dst *string
		switch key {
		case "dataSet":
			dst = &set.DataSet
		case "completeDate":
			dst = &set.CompleteDate
		case "period":
			dst = &set.Period
		case "orgUnit":
			dst = &set.OrgUnit
		case "attributeOptionCombo":
			dst = &set.AttributeOptionCombo
		case "dataValues":
			if lines, err = jr.values(&set, lines); err != nil {
				return set, err
			}
			continue
		default:
			var skip json.RawMessage
			if err := jr.dec.Decode(&skip); err != nil {
				return set, jr.syntax(0, key, err)
			}
			continue
		}
		var t jsonText
		if err := jr.dec.Decode(&t); err != nil {
			return set, jr.syntax(0, key, err)
		}
		*dst = string(t)
	}
	if err := jr.delim('}', ""); err != nil {
		return set, err
	}
	if _, err := jr.dec.Token(); err != io.EOF {
		return set, &FormatError{Rule: RuleJSON, Line: jr.line(jr.dec.InputOffset()),
			Detail: "data after the end of the document"}
	}
	if fe := lengthError(0, 0, "dataSet", set.DataSet, "completeDate", set.CompleteDate,
		"period", set.Period, "orgUnit", set.OrgUnit, "attributeOptionCombo", set.AttributeOptionCombo); fe != nil {
		return set, fe
	}
	// Inherit only once the whole object is read: the set's period may follow its dataValues.
	for i := range set.DataValues {
		v := &set.DataValues[i]
		if v.Period == "" {
			v.Period = set.Period
		}
		if v.OrgUnit == "" {
			v.OrgUnit = set.OrgUnit
		}
		if v.AttributeOptionCombo == "" {
			v.AttributeOptionCombo = set.AttributeOptionCombo
		}
		if fe := checkValue(i+1, lines[i], *v); fe != nil {
			return set, fe
		}
	}
	return set, nil
}

// values reads the dataValues array one element at a time, so the record cap holds before a
// hostile array is in memory.
func (jr *jsonReader) values(set *DataValueSet, lines []int) ([]int, error) {
	if err := jr.delim('[', "dataValues"); err != nil {
		return lines, err
	}
	for jr.dec.More() {
		n := len(set.DataValues) + 1
		if n > maxRecords {
			return lines, &FormatError{Record: n, Line: jr.startLine(), Field: "dataValues",
				Rule: RuleTooLarge, Detail: fmt.Sprint(maxRecords)}
		}
		line := jr.startLine()
		var raw json.RawMessage
		if err := jr.dec.Decode(&raw); err != nil {
			return lines, jr.syntax(n, "", err)
		}
		var jv jsonValue
		if err := json.Unmarshal(raw, &jv); err != nil {
			field, detail := badKey(raw, err)
			return lines, &FormatError{Record: n, Line: line, Field: field, Rule: RuleJSON, Detail: detail}
		}
		set.DataValues = append(set.DataValues, DataValue{
			DataElement:          string(jv.DataElement),
			Period:               string(jv.Period),
			OrgUnit:              string(jv.OrgUnit),
			CategoryOptionCombo:  string(jv.CategoryOptionCombo),
			AttributeOptionCombo: string(jv.AttributeOptionCombo),
			Value:                string(jv.Value),
			StoredBy:             string(jv.StoredBy),
			Created:              string(jv.Created),
			LastUpdated:          string(jv.LastUpdated),
			Comment:              string(jv.Comment),
			FollowUp:             bool(jv.FollowUp),
			Deleted:              bool(jv.Deleted),
		})
		lines = append(lines, line)
	}
	return lines, jr.delim(']', "dataValues")
}

// WriteJSON writes set as a dataValueSets JSON document. Data values keep their own period,
// orgUnit and attributeOptionCombo even where they equal the set's, as DHIS2's export does.
func WriteJSON(w io.Writer, set DataValueSet) error {
	if set.DataValues == nil {
		set.DataValues = []DataValue{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(set); err != nil {
		return fmt.Errorf("write dataValueSet: %w", err)
	}
	return nil
}

// badKey finds which key of a data value failed to decode, so the error can name it.
func badKey(raw json.RawMessage, err error) (field, detail string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return "", "a data value must be an object"
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		var probe jsonValue
		one, _ := json.Marshal(map[string]json.RawMessage{k: fields[k]})
		if e := json.Unmarshal(one, &probe); e != nil {
			return k, e.Error()
		}
	}
	return "", err.Error()
}

package sheet

import (
	"slices"
	"strconv"

	"ting/internal/valid"
)

// MaxReport bounds a report: past it the user learns nothing new from more lines.
const MaxReport = 500

// Report collects the failures of a file's rows.
type Report struct {
	Errors valid.Errors
}

// Add records that row broke rule in field; param is the rule's parameter, if any.
func (r *Report) Add(row int, field, rule string, param ...string) {
	e := valid.FieldError{Row: row, Field: field, Rule: rule}
	if len(param) > 0 {
		e.Param = param[0]
	}
	r.Errors = append(r.Errors, e)
}

// AddAll copies a domain check's field errors onto row, renaming the fields rename names (the
// domain's id fields to the file's code columns).
func (r *Report) AddAll(row int, es valid.Errors, rename map[string]string) {
	for _, e := range es {
		e.Row = row
		if to, ok := rename[e.Field]; ok {
			e.Field = to
		}
		r.Errors = append(r.Errors, e)
	}
}

// Len is the number of failures so far.
func (r *Report) Len() int { return len(r.Errors) }

// Done sorts the failures by row (stable, so a row's failures keep column order) and caps them
// at MaxReport, saying so in a last line.
func (r *Report) Done() valid.Errors {
	slices.SortStableFunc(r.Errors, func(a, b valid.FieldError) int { return a.Row - b.Row })
	if len(r.Errors) > MaxReport {
		r.Errors = append(r.Errors[:MaxReport], valid.FieldError{Field: "file", Rule: "too_many_errors", Param: strconv.Itoa(MaxReport)})
	}
	return r.Errors
}

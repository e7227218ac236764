// Package valid carries validation failures from the domain to the user: each names the field
// and the rule broken, with parameters, so the web layer can say it in the user's language.
// It holds no messages itself.
package valid

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// FieldError is one broken rule on one field. Row is set by importers (1-based data row).
type FieldError struct {
	Row   int    `json:"row,omitempty"`
	Field string `json:"field"`
	Rule  string `json:"rule"`
	Param string `json:"param,omitempty"`
}

func (e FieldError) Error() string {
	s := e.Field + ": " + e.Rule
	if e.Param != "" {
		s += " (" + e.Param + ")"
	}
	if e.Row > 0 {
		s = fmt.Sprintf("row %d: %s", e.Row, s)
	}
	return s
}

// Errors collects field errors; it is an error when non-empty.
type Errors []FieldError

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Add appends a failure.
func (es *Errors) Add(field, rule string, param ...string) {
	e := FieldError{Field: field, Rule: rule}
	if len(param) > 0 {
		e.Param = param[0]
	}
	*es = append(*es, e)
}

// Err returns es as an error, or nil when empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// For returns the first failure on field, if any.
func (es Errors) For(field string) (FieldError, bool) {
	for _, e := range es {
		if e.Field == field {
			return e, true
		}
	}
	return FieldError{}, false
}

// As extracts validation errors from err.
func As(err error) (Errors, bool) {
	var es Errors
	if errors.As(err, &es) {
		return es, true
	}
	var fe FieldError
	if errors.As(err, &fe) {
		return Errors{fe}, true
	}
	return nil, false
}

// New returns a single-failure error.
func New(field, rule string, param ...string) error {
	var es Errors
	es.Add(field, rule, param...)
	return es
}

// Required records "required" when s is blank.
func (es *Errors) Required(field, s string) bool {
	if strings.TrimSpace(s) == "" {
		es.Add(field, "required")
		return false
	}
	return true
}

// MaxLen records "max_len" when s has more than n characters.
func (es *Errors) MaxLen(field, s string, n int) {
	if len([]rune(s)) > n {
		es.Add(field, "max_len", fmt.Sprint(n))
	}
}

// Date records "date" unless s is a YYYY-MM-DD calendar date; blank is allowed.
func (es *Errors) Date(field, s string) bool {
	if s == "" {
		return true
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		es.Add(field, "date")
		return false
	}
	return true
}

// OneOf records "one_of" unless s is among allowed.
func (es *Errors) OneOf(field, s string, allowed []string) bool {
	for _, a := range allowed {
		if s == a {
			return true
		}
	}
	es.Add(field, "one_of", strings.Join(allowed, ", "))
	return false
}

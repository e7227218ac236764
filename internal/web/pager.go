package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// pager is limit/offset paging shared by pages and the API.
type pager struct {
	Limit, Offset, Total int
	def                  int    // the page size the list has unless the query asks another
	param                string // the query parameter of the offset: "offset" unless a page has two lists
}

func newPager(r *http.Request, def int) pager { return newPagerAt(r, def, "offset") }

// newPagerAt is a pager whose offset is the query parameter param (its size is fixed), for a
// page that pages two lists apart.
func newPagerAt(r *http.Request, def int, param string) pager {
	p := pager{Limit: def, def: def, param: param}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 1000 && param == "offset" {
		p.Limit = n
	}
	if n, err := strconv.Atoi(r.URL.Query().Get(param)); err == nil && n > 0 {
		p.Offset = n
	}
	return p
}

func (p pager) with(total int) pager { p.Total = total; return p }

// HasPrev and friends drive the paging links.
func (p pager) HasPrev() bool   { return p.Offset > 0 }
func (p pager) HasNext() bool   { return p.Offset+p.Limit < p.Total }
func (p pager) PrevOffset() int { return max(0, p.Offset-p.Limit) }
func (p pager) NextOffset() int { return p.Offset + p.Limit }
func (p pager) First() int {
	if p.Total == 0 {
		return 0
	}
	return p.Offset + 1
}
func (p pager) Last() int { return min(p.Total, p.Offset+p.Limit) }

// href is the list's address (base: its path and query) at offset, keeping a page size the
// query asked for.
func (p pager) href(base string, offset int) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	param := p.param
	if param == "" {
		param = "offset"
	}
	if p.def != 0 && p.Limit != p.def {
		return fmt.Sprintf("%s%slimit=%d&%s=%d", base, sep, p.Limit, param, offset)
	}
	return fmt.Sprintf("%s%s%s=%d", base, sep, param, offset)
}

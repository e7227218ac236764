package web

import (
	"net/http"
	"strconv"
)

// pager is limit/offset paging shared by pages and the API.
type pager struct {
	Limit, Offset, Total int
}

func newPager(r *http.Request, def int) pager {
	p := pager{Limit: def}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 1000 {
		p.Limit = n
	}
	if n, err := strconv.Atoi(r.URL.Query().Get("offset")); err == nil && n > 0 {
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

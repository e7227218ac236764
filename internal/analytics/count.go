package analytics

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"

	"ting/internal/store"
)

// Filter narrows a reach question. Every part is optional.
type Filter struct {
	Types  []string // service types; empty for any service
	Sex    string   // "F" or "M"
	Aged   bool     // AgeMin..AgeMax apply
	AgeMin int      // ages in years, inclusive: the age reached in the year the period ends
	AgeMax int
	Groups []string // people in any of these target groups
	// Ethnicities are people whose card records any of these ethnicities, as written on the card
	// (trimmed; compared exactly).
	Ethnicities []string
}

// ParseAgeBand reads an age band as the reports write it: "12-15", or "25+" (up to 200).
func ParseAgeBand(band string) (lo, hi int, ok bool) {
	if from, open := strings.CutSuffix(band, "+"); open {
		n, err := strconv.Atoi(from)
		return n, 200, err == nil && n >= 0
	}
	a, b, found := strings.Cut(band, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	return lo, hi, found && err1 == nil && err2 == nil && lo >= 0 && lo <= hi
}

// Span is a range of months, 'YYYY-MM' to 'YYYY-MM' inclusive.
type Span struct{ From, To string }

// SpanOf turns a date range ('YYYY-MM-DD') into the months it covers.
func SpanOf(start, end string) Span {
	return Span{From: start[:7], To: end[:7]}
}

// Unit is the subtree a question is asked of.
type Unit struct {
	ID   int64
	Path string
}

// AgeYear is the year ages are reached in for a span: the year it ends, or, for a span running
// past the latest service recorded anywhere, that service's year (so "life of project" ages are
// those reached in the project's last year of service, not in 9999).
func AgeYear(ctx context.Context, q store.Queryer, s Span) (int, error) {
	y, _ := strconv.Atoi(s.To[:4])
	var latest sql.NullString
	if err := q.QueryRowContext(ctx, `SELECT MAX(served_on) FROM services`).Scan(&latest); err != nil {
		return 0, err
	}
	if latest.Valid && len(latest.String) >= 4 && latest.String[:7] < s.To {
		y, _ = strconv.Atoi(latest.String[:4])
	}
	return y, nil
}

// Count is the exact number of distinct people served in a unit's subtree over a span, by the
// filter: from the bitmaps for units down to the county, from the services below.
func Count(ctx context.Context, q store.Queryer, u Unit, s Span, f Filter) (int64, error) {
	return count(ctx, q, u, s, f, true)
}

// count is Count, reading the stored bitmaps through the cache (cache.go) when cached is set.
func count(ctx context.Context, q store.Queryer, u Unit, s Span, f Filter, cached bool) (int64, error) {
	if depthOf(u.Path) > MaxDepth {
		return SQLCount(ctx, q, u.Path, s, f)
	}
	people, err := reach(ctx, q, u, s, f, cached)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, b := range people {
		n += int64(b.GetCardinality())
	}
	return n, nil
}

// Reach is the set of people Count counts, per shard, for a unit that keeps bitmaps: those of
// its bitmaps and those of the services still pending (see Defer). The bitmaps may be shared
// with the cache of stored bitmaps (cache.go): read them, never modify them.
func Reach(ctx context.Context, q store.Queryer, u Unit, s Span, f Filter) (map[uint32]*roaring.Bitmap, error) {
	return reach(ctx, q, u, s, f, true)
}

func reach(ctx context.Context, q store.Queryer, u Unit, s Span, f Filter, cached bool) (map[uint32]*roaring.Bitmap, error) {
	// The pending services first: a fold committing between the two reads then only makes a
	// person counted from both, never from neither.
	pending := map[uint32]*roaring.Bitmap{}
	if err := pendingPeople(ctx, q, u, s, f.Types, pending); err != nil {
		return nil, err
	}
	where, args := periodWhere(s, 2)
	args = append([]any{u.ID}, args...)
	types := []string{""}
	if len(f.Types) > 0 {
		types = f.Types
	}
	ph := make([]string, len(types))
	for i, t := range types {
		args = append(args, t)
		ph[i] = "$" + strconv.Itoa(len(args))
	}
	parts := map[uint32][]stored{}
	err := storedBits(ctx, q, cached, "reach_bitmaps", []string{"unit_id", "period", "service_type", "part", "shard"},
		`unit_id = $1 AND (`+where+`) AND service_type IN (`+strings.Join(ph, ",")+`)`, args,
		func(sh uint32, s stored) { parts[sh] = append(parts[sh], s) })
	if err != nil {
		return nil, err
	}
	out := make(map[uint32]*roaring.Bitmap, len(parts))
	for sh, ss := range parts {
		out[sh] = unionOf(ss, cached)
	}
	for sh, b := range pending {
		if have := out[sh]; have != nil {
			out[sh] = roaring.Or(have, b)
		} else {
			out[sh] = b
		}
	}
	if f.Sex == "" && !f.Aged && len(f.Groups) == 0 && len(f.Ethnicities) == 0 || len(out) == 0 {
		return out, nil
	}
	// Each filter is a union of attribute bitmaps; the people are intersected with each.
	var filters []attrFilter
	if f.Sex != "" {
		filters = append(filters, attrIn([]string{"sex:" + f.Sex}))
	}
	if f.Aged {
		y, err := AgeYear(ctx, q, s)
		if err != nil {
			return nil, err
		}
		cover := bornCover(y-f.AgeMax, y-f.AgeMin)
		if len(cover) == 0 {
			return map[uint32]*roaring.Bitmap{}, nil // a band of ages no one born in year 0 or later has
		}
		filters = append(filters, attrIn(cover))
	}
	if len(f.Groups) > 0 {
		gs := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			gs[i] = "group:" + g
		}
		filters = append(filters, attrIn(gs))
	}
	if len(f.Ethnicities) > 0 {
		es := make([]string, len(f.Ethnicities))
		for i, e := range f.Ethnicities {
			es[i] = ethAttr(e)
		}
		filters = append(filters, attrIn(es))
	}
	for _, fl := range filters {
		have := map[uint32][]stored{}
		err := storedBits(ctx, q, cached, "reach_people", []string{"attr", "shard"}, fl.where, fl.args,
			func(sh uint32, s stored) { have[sh] = append(have[sh], s) })
		if err != nil {
			return nil, err
		}
		for sh, b := range out {
			hs := have[sh]
			if len(hs) == 0 {
				delete(out, sh)
				continue
			}
			out[sh] = roaring.And(b, unionOf(hs, cached))
		}
	}
	return out, nil
}

// attrFilter selects the attribute rows whose union a filter keeps.
type attrFilter struct {
	where string
	args  []any
}

func attrIn(attrs []string) attrFilter {
	ph := make([]string, len(attrs))
	args := make([]any, len(attrs))
	for i, a := range attrs {
		ph[i], args[i] = "$"+strconv.Itoa(i+1), a
	}
	return attrFilter{"attr IN (" + strings.Join(ph, ",") + ")", args}
}

// periodWhere selects the stored periods that exactly cover a span: whole years by their year
// rows, the months of a partly covered first or last year by their month rows. Parameters are
// numbered from first.
func periodWhere(s Span, first int) (string, []any) {
	fy, fm := s.From[:4], s.From[5:7]
	ty, tm := s.To[:4], s.To[5:7]
	p := func(i int) string { return "$" + strconv.Itoa(first+i) }
	if fy == ty {
		if fm == "01" && tm == "12" {
			return "period = " + p(0), []any{fy}
		}
		return "LENGTH(period) = 7 AND period BETWEEN " + p(0) + " AND " + p(1), []any{s.From, s.To}
	}
	var conds []string
	var args []any
	yFrom, yTo := fy, ty
	if fm != "01" {
		conds = append(conds, "(LENGTH(period) = 7 AND period BETWEEN "+p(len(args))+" AND "+p(len(args)+1)+")")
		args = append(args, s.From, fy+"-12")
		yFrom = nextYear(fy)
	}
	if tm != "12" {
		conds = append(conds, "(LENGTH(period) = 7 AND period BETWEEN "+p(len(args))+" AND "+p(len(args)+1)+")")
		args = append(args, ty+"-01", s.To)
		yTo = prevYear(ty)
	}
	if yFrom <= yTo {
		conds = append(conds, "(LENGTH(period) = 4 AND period BETWEEN "+p(len(args))+" AND "+p(len(args)+1)+")")
		args = append(args, yFrom, yTo)
	}
	if len(conds) == 0 {
		return "FALSE", nil
	}
	return strings.Join(conds, " OR "), args
}

func nextYear(y string) string { n, _ := strconv.Atoi(y); return fmt.Sprintf("%04d", n+1) }
func prevYear(y string) string { n, _ := strconv.Atoi(y); return fmt.Sprintf("%04d", n-1) }

// SQLCount counts the same people with SQL COUNT(DISTINCT) over the services: the reference the
// bitmaps are verified against, and the way to count a community's subtree.
func SQLCount(ctx context.Context, q store.Queryer, pathPrefix string, s Span, f Filter) (int64, error) {
	query := `SELECT COUNT(DISTINCT s.card_id) FROM services s JOIN org_units u ON u.id = s.site_id JOIN cards c ON c.id = s.card_id
		WHERE u.path LIKE $1 AND s.served_on >= $2 AND s.served_on <= $3`
	args := []any{pathPrefix + "%", s.From + "-01", s.To + "-31"}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if len(f.Types) > 0 {
		ph := make([]string, len(f.Types))
		for i, t := range f.Types {
			ph[i] = arg(t)
		}
		query += ` AND s.type IN (` + strings.Join(ph, ",") + `)`
	}
	if f.Sex != "" {
		query += ` AND c.sex = ` + arg(f.Sex)
	}
	if f.Aged {
		y, err := AgeYear(ctx, q, s)
		if err != nil {
			return 0, err
		}
		query += ` AND c.birth_year BETWEEN ` + arg(y-f.AgeMax) + ` AND ` + arg(y-f.AgeMin)
	}
	if len(f.Groups) > 0 {
		ors := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			ors[i] = `c.groups LIKE ` + arg("%,"+g+",%")
		}
		query += ` AND (` + strings.Join(ors, " OR ") + `)`
	}
	if len(f.Ethnicities) > 0 {
		ph := make([]string, len(f.Ethnicities))
		for i, e := range f.Ethnicities {
			ph[i] = arg(strings.TrimSpace(e))
		}
		query += ` AND TRIM(c.ethnicity) IN (` + strings.Join(ph, ", ") + `)`
	}
	var n int64
	err := q.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// Stats describe the stored bitmaps after a rebuild or verification.
type Stats struct {
	Bitmaps    int   // reach_bitmaps rows
	People     int   // reach_people rows
	Bytes      int64 // serialised size of all stored bitmaps: the index's memory when loaded
	Checks     int   // COUNT(DISTINCT) comparisons made
	Mismatches int   // bitmaps or counts that differ from the records
}

// Print writes the stats as a line for the command line.
func (st Stats) Print(w io.Writer, what string) {
	fmt.Fprintf(w, "%s: %d reach bitmaps and %d attribute bitmaps, %.1f MB; %d COUNT(DISTINCT) checks; %d mismatches\n",
		what, st.Bitmaps, st.People, float64(st.Bytes)/1e6, st.Checks, st.Mismatches)
}

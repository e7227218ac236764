package beneficiaries

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/valid"
)

// Suppressing each count on its own does not stop a viewer who may not see counts exactly from
// taking two counts they may see and subtracting: a unit's 12 people and its 9 women tell of 3
// men; ages 12 to 24 and 12 to 23 tell of the people aged 24. So, for such a viewer, a count
// narrowed by who the people are (sex, age, target group, ethnicity) is also withheld when the
// same count widened by one step the viewer could ask (that narrowing dropped, one more target
// group, the ages stretched to another band) holds 1 to MinCell-1 people more; and ages are
// asked only in whole bands, so a single year cannot be sliced off. Service types are left out:
// they tell what people received, not who they are, and the default table by service type
// would otherwise lose most of its cells.

// ageMins and ageMaxes are the bounds an age range may have for a viewer who may not see counts
// exactly: those of the reporting bands (AgeBands).
var ageMins, ageMaxes = func() (lo, hi []int) {
	for _, b := range AgeBands {
		lo, hi = append(lo, b.Min), append(hi, b.Max)
	}
	return lo, hi
}()

// checkAgeGrid refuses ages that do not fall on the bands' bounds (rule age_grid, its param the
// bounds the field may take). A bottom of 0 and a top of 200, the open band's, are bounds: they
// are what blank bounds mean, so the 200 is not offered to be typed.
func checkAgeGrid(q ReachQuery) error {
	if !q.Aged {
		return nil
	}
	list := func(xs []int) string {
		s := make([]string, len(xs))
		for i, x := range xs {
			s[i] = strconv.Itoa(x)
		}
		return strings.Join(s, ", ")
	}
	var es valid.Errors
	if !slices.Contains(ageMins, q.AgeMin) {
		es.Add("age_min", "age_grid", list(ageMins))
	}
	if !slices.Contains(ageMaxes, q.AgeMax) {
		es.Add("age_max", "age_grid", list(ageMaxes[:len(ageMaxes)-1]))
	}
	return es.Err()
}

// widenings are the counts one step wider than q that a viewer could ask instead, by the
// narrowing they widen, the narrowing dropped first: the sex dropped; the ages dropped, then
// stretched down to each lower band's bottom or up to each higher band's top; the target groups
// dropped, then with one more; the ethnicities dropped. Whatever wider count two such questions
// differ by, its people are the union of what these steps add (the steps of different bands add
// disjoint people, those of groups overlapping ones), so when each step adds none or at least
// MinCell people, so does any wider count.
func widenings(q ReachQuery) [][]ReachQuery {
	var out [][]ReachQuery
	var dim []ReachQuery
	with := func(f func(*ReachQuery)) {
		w := q
		w.Filter.Types = slices.Clone(q.Types)
		w.Filter.Groups = slices.Clone(q.Groups)
		w.Filter.Ethnicities = slices.Clone(q.Ethnicities)
		f(&w)
		dim = append(dim, w)
	}
	next := func() {
		out, dim = append(out, dim), nil
	}
	if q.Sex != "" {
		with(func(w *ReachQuery) { w.Sex = "" })
		next()
	}
	if q.Aged {
		with(func(w *ReachQuery) { w.Aged, w.AgeMin, w.AgeMax = false, 0, 0 })
		for _, lo := range ageMins {
			if lo < q.AgeMin {
				with(func(w *ReachQuery) { w.AgeMin = lo })
			}
		}
		for _, hi := range ageMaxes {
			if hi > q.AgeMax {
				with(func(w *ReachQuery) { w.AgeMax = hi })
			}
		}
		next()
	}
	if len(q.Groups) > 0 {
		with(func(w *ReachQuery) { w.Groups = nil })
		for _, g := range Groups {
			if !slices.Contains(q.Groups, g) {
				with(func(w *ReachQuery) { w.Groups = append(w.Groups, g) })
			}
		}
		next()
	}
	if len(q.Ethnicities) > 0 {
		with(func(w *ReachQuery) { w.Ethnicities = nil })
		next()
	}
	return out
}

// reachKey names a question, the same for the same people whatever the order of its lists.
func reachKey(q ReachQuery) string {
	sorted := func(xs []string) string { return strings.Join(slices.Sorted(slices.Values(xs)), ",") }
	age := ""
	if q.Aged {
		age = fmt.Sprintf("%d-%d", q.AgeMin, q.AgeMax)
	}
	return fmt.Sprintf("%d|%s|%s|%s|%s|%s|%s|%s", q.UnitID, q.From, q.To, sorted(q.Types), q.Sex, age, sorted(q.Groups), sorted(q.Ethnicities))
}

// reachCounter counts questions for one table, each once: a cell's wider counts are mostly
// the table's other cells and totals, or another cell's wider counts.
type reachCounter struct {
	s    *Service
	a    access.Actor
	seen map[string]int64
}

func (c *reachCounter) count(ctx context.Context, q ReachQuery) (int64, error) {
	k := reachKey(q)
	if n, ok := c.seen[k]; ok {
		return n, nil
	}
	n, err := c.s.Reach(ctx, c.a, q)
	if err != nil {
		return 0, err
	}
	c.seen[k] = n
	return n, nil
}

// complementSmall reports whether a count n of q (shown, so 0 or at least MinCell) would give
// away 1 to MinCell-1 people by difference with a wider count the viewer could ask. A zero
// gives nothing away that the wider count's own suppression does not already hide.
func (c *reachCounter) complementSmall(ctx context.Context, q ReachQuery, n int64) (bool, error) {
	if n < MinCell {
		return false, nil
	}
	for _, dim := range widenings(q) {
		for i, w := range dim {
			m, err := c.count(ctx, w)
			if err != nil {
				return false, err
			}
			d := m - n
			if d > 0 && d < MinCell {
				return true, nil
			}
			// Dropping the narrowing adds no one: nor can any step within it, each a part
			// of the dropped one, so their counts are saved.
			if i == 0 && d == 0 {
				break
			}
		}
	}
	return false, nil
}

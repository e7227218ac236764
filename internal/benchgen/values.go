package benchgen

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"ting/internal/access"
	"ting/internal/org"
	"ting/internal/results"
	"ting/internal/store"
)

// setup creates the category sets and an approved framework with its indicators through the
// results service, as a user would: development objective, three immediate objectives, one
// output per five indicators.
func setup(ctx context.Context, svc *results.Service, spec Spec, national org.Unit) (results.Framework, error) {
	sys := access.System
	for i := range spec.sets() {
		if _, err := svc.SaveCategorySet(ctx, sys, categorySet(i)); err != nil {
			return results.Framework{}, err
		}
	}
	fw, err := svc.CreateFramework(ctx, sys, results.FrameworkInput{Code: FrameworkCode, UnitID: national.ID,
		NameZH: "全国预防拐卖儿童基准框架", NameEN: "National benchmark framework"})
	if err != nil {
		return fw, err
	}
	elements := []results.ElementInput{{Kind: "development_objective", Code: "DO", NameZH: "发展目标", NameEN: "Development objective"}}
	for io := 1; io <= 3; io++ {
		elements = append(elements, results.ElementInput{Kind: "immediate_objective", Code: fmt.Sprintf("IO%d", io), ParentCode: "DO",
			NameZH: fmt.Sprintf("直接目标%d", io), NameEN: fmt.Sprintf("Immediate objective %d", io), Position: io})
	}
	outputs := (spec.Indicators + 4) / 5
	outputCode := func(o int) string { return fmt.Sprintf("O%d.%d", o%3+1, o/3+1) }
	for o := range outputs {
		elements = append(elements, results.ElementInput{Kind: "output", Code: outputCode(o), ParentCode: fmt.Sprintf("IO%d", o%3+1),
			NameZH: fmt.Sprintf("产出%s", outputCode(o)), NameEN: fmt.Sprintf("Output %s", outputCode(o)), Position: o / 3})
	}
	for _, e := range elements {
		if _, err := svc.AddElement(ctx, sys, fw.ID, e); err != nil {
			return fw, fmt.Errorf("element %s: %w", e.Code, err)
		}
	}
	for i := range spec.Indicators {
		in := results.IndicatorInput{Code: fmt.Sprintf("B%03d", i+1), FrameworkCode: FrameworkCode, ElementCode: outputCode(i / 5),
			NameZH: fmt.Sprintf("受益人数%d", i+1), NameEN: fmt.Sprintf("People reached %d", i+1), Type: "count", Aggregation: "sum",
			UnitLabelZH: "人", UnitLabelEN: "people", Frequency: "month", Position: i % 5}
		if spec.sets() > 0 {
			in.CategorySets = []string{categorySet(i % spec.sets()).Code}
		}
		if _, err := svc.CreateIndicator(ctx, sys, in); err != nil {
			return fw, fmt.Errorf("indicator %s: %w", in.Code, err)
		}
	}
	return svc.Approve(ctx, sys, fw.ID)
}

// valueStats is what loading the values learnt: counts, and per indicator the sums of the
// totals inside the measured period, nationally and per province and city, for the targets.
type valueStats struct {
	reporting     int
	totals        int64
	values        int64
	method        string
	nat           []int64
	prov, city    [][]int64 // [unit index][indicator]
	provReporting []int
}

func (vs *valueStats) busiestProvince() int {
	best := 0
	for p, n := range vs.provReporting {
		if n > vs.provReporting[best] {
			best = p
		}
	}
	return best
}

// boxed float64s of small whole numbers, so that building rows does not allocate.
var smallFloats = func() []any {
	out := make([]any, 4096)
	for i := range out {
		out[i] = float64(i)
	}
	return out
}()

func boxFloat(v int) any {
	if v >= 0 && v < len(smallFloats) {
		return smallFloats[v]
	}
	return float64(v)
}

func loadValues(ctx context.Context, db *store.DB, net *network, spec Spec, fw results.Framework, inds []results.Indicator,
	period results.Period, rng *rand.Rand) (*valueStats, error) {
	comm := net.counts[4]
	k := max(1, int(math.Round(spec.ReportingShare*float64(comm))))
	chosen := rng.Perm(comm)[:k]
	slices.Sort(chosen)
	vs := &valueStats{reporting: k, nat: make([]int64, len(inds)), provReporting: make([]int, net.counts[1])}
	vs.prov = make([][]int64, net.counts[1])
	for i := range vs.prov {
		vs.prov[i] = make([]int64, len(inds))
	}
	vs.city = make([][]int64, net.counts[2])
	for i := range vs.city {
		vs.city[i] = make([]int64, len(inds))
	}

	type month struct {
		key, start, end any
		in              bool
	}
	months := make([]month, spec.Months)
	for m := range months {
		p, err := results.ParsePeriod(fmt.Sprintf("%04d-%02d", 2010+m/12, m%12+1))
		if err != nil {
			return nil, err
		}
		months[m] = month{p.Key, p.Start, p.End, period.Contains(p)}
	}
	sets := make([][]any, spec.sets()) // boxed combos per set
	for s := range sets {
		cs := categorySet(s)
		for _, c := range cs.Categories {
			combo, err := results.NormaliseCombo(cs.Code + ":" + c.Code)
			if err != nil {
				return nil, err
			}
			sets[s] = append(sets[s], combo)
		}
	}
	indIDs := make([]any, len(inds))
	for i, ind := range inds {
		indIDs[i] = ind.ID
	}
	var noCombo any = ""
	values := &table{name: "data_values",
		consts:    []string{"source", "source_ref", "framework_id", "entered_by", "entered_at"},
		constVals: []any{"import", "benchgen", fw.ID, access.System.PublicID, store.Now()},
		cols:      []string{"indicator_id", "unit_id", "period", "period_start", "period_end", "combo", "value"}}
	weights := make([]int, 16)
	n, method, err := load(ctx, db, values, spec.NoCopy, func(p *producer) {
		for _, j := range chosen {
			var unit any = net.id(4, j)
			county := net.parent[4][j]
			city := int(net.parent[3][county])
			prov := int(net.parent[2][city])
			vs.provReporting[prov]++
			for i := range inds {
				lambda := 1 + rng.IntN(30) // the unit's monthly level for this indicator
				var combos []any
				sum := 0
				if len(sets) > 0 {
					combos = sets[i%len(sets)]
					for c := range combos { // the unit's mix across the categories
						weights[c] = 1 + rng.IntN(4)
						sum += weights[c]
					}
				}
				for _, m := range months {
					v := lambda/2 + rng.IntN(lambda+1)
					r := p.row()
					r[0], r[1], r[2], r[3], r[4], r[5], r[6] = indIDs[i], unit, m.key, m.start, m.end, noCombo, boxFloat(v)
					vs.totals++
					if m.in {
						vs.nat[i] += int64(v)
						vs.prov[prov][i] += int64(v)
						vs.city[city][i] += int64(v)
					}
					rest := v
					for c, combo := range combos {
						part := v * weights[c] / sum
						if c == len(combos)-1 {
							part = rest
						}
						rest -= part
						r := p.row()
						r[0], r[1], r[2], r[3], r[4], r[5], r[6] = indIDs[i], unit, m.key, m.start, m.end, combo, boxFloat(part)
					}
				}
			}
		}
	})
	vs.values, vs.method = n, method
	return vs, err
}

// loadTargets sets targets for the measured period at the national unit, every province and
// every city: the sum of the values below times a factor between 0.7 and 1.35.
func loadTargets(ctx context.Context, db *store.DB, net *network, vs *valueStats, inds []results.Indicator, period results.Period,
	rng *rand.Rand, noCopy bool) (int64, error) {
	targets := &table{name: "targets", consts: []string{"period", "note"}, constVals: []any{period.Key, ""},
		cols: []string{"indicator_id", "unit_id", "value"}}
	target := func(sum int64) any { return max(1, math.Round(float64(sum)*(0.7+0.65*rng.Float64()))) }
	n, _, err := load(ctx, db, targets, noCopy, func(p *producer) {
		for i, ind := range inds {
			r := p.row()
			r[0], r[1], r[2] = ind.ID, net.id(0, 0), target(vs.nat[i])
			for j := range net.counts[1] {
				r := p.row()
				r[0], r[1], r[2] = ind.ID, net.id(1, j), target(vs.prov[j][i])
			}
			for j := range net.counts[2] {
				r := p.row()
				r[0], r[1], r[2] = ind.ID, net.id(2, j), target(vs.city[j][i])
			}
		}
	})
	return n, err
}

package plans

import (
	"reflect"
	"testing"

	"ting/internal/valid"
)

func i64(v int64) *int64 { return &v }

// annexA is seed 001 Annex A as printed (whole RMB, here in fen): January 2010 - June 2012.
func annexA() ContributionTable {
	y := func(v int64) int64 { return v * 100 }
	row := func(cat string, national, provincial, local, subtotal int64) ContributionRow {
		a := map[string]int64{}
		for lv, v := range map[string]int64{NationalLevel: national, ProvincialLevel: provincial, LocalLevel: local} {
			if v >= 0 { // -1 marks a blank cell
				a[lv] = y(v)
			}
		}
		return ContributionRow{Category: cat, Amounts: a, StatedSubtotal: i64(y(subtotal))}
	}
	return ContributionTable{
		From: "2010-01-01", To: "2012-06-30", Currency: "CNY",
		Rows: []ContributionRow{
			row("staff_salary", 150000, 851400, 761000, 1762400),
			row("part_time_input", -1, 777900, 547400, 1325300),
			row("office_rental", 200000, 392100, 125400, 717500),
			row("utilities", 12500, 148700, 817780, 978980),
			row("communication", 7500, 44700, 43680, 95880),
			row("local_transport", 20000, 76110, 174230, 270340),
			row("venue", -1, 95430, 235520, 330950),
			row("publicity", -1, 205700, 119340, 325040),
			row("incidental", -1, 120000, 59700, 179700),
			row("other", -1, 46500, 226592, 273092),
		},
		StatedLevelTotals: map[string]int64{NationalLevel: y(390000), ProvincialLevel: y(2758540), LocalLevel: y(3110642)},
		StatedTotal:       i64(y(6259182)),
		// "Exchange rates: US $1:6.302 RMB US $1: 0.9812 CAN$" — the review is dated September 2012.
		Rates:           []Rate{{Currency: "CNY", PerUSD: "6.302", On: "2012-09-01"}, {Currency: "CAD", PerUSD: "0.9812", On: "2012-09-01"}},
		StatedConverted: map[string]int64{"USD": y(993206), "CAD": y(947533)},
		WholeUnits:      true,
	}
}

func TestAnnexA(t *testing.T) {
	diffs, err := CheckContributionTable(annexA())
	if err != nil {
		t.Fatal(err)
	}
	// RMB 6,259,182 / 6.302 = US$ 993,205.65, stated 993,206: rounding, no difference.
	// × 0.9812 = CAN$ 974,533.38; Annex A prints 947,533, two digits swapped.
	want := []Difference{{Kind: DiffConverted, Currency: "CAD", Stated: 94_753_300, Computed: 97_453_300}}
	if !reflect.DeepEqual(diffs, want) {
		t.Fatalf("got %+v, want %+v", diffs, want)
	}
	if diffs[0].Delta() != -2_700_000 {
		t.Fatalf("delta %d", diffs[0].Delta())
	}
}

func TestCheckContributionTableDifferences(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ContributionTable)
		want   []Difference
	}{
		{"a subtotal off by 100", func(tb *ContributionTable) { *tb.Rows[3].StatedSubtotal += 10000 },
			[]Difference{{Kind: DiffSubtotal, Category: "utilities", Currency: "CNY", Stated: 97_908_000, Computed: 97_898_000}}},
		{"a wrong cell shows in its row, its level and the totals", func(tb *ContributionTable) {
			tb.Rows[0].Amounts[LocalLevel] = 7_610_000 // 76,100 typed for 761,000
		}, []Difference{
			{Kind: DiffSubtotal, Category: "staff_salary", Currency: "CNY", Stated: 176_240_000, Computed: 107_750_000},
			{Kind: DiffLevelTotal, Level: LocalLevel, Currency: "CNY", Stated: 311_064_200, Computed: 242_574_200},
			{Kind: DiffTotal, Currency: "CNY", Stated: 625_918_200, Computed: 557_428_200},
			// 5,574,282 / 6.302 × 0.9812 = 867,897.1…; / 6.302 = 884,526.0…
			{Kind: DiffConverted, Currency: "CAD", Stated: 94_753_300, Computed: 86_789_700},
			{Kind: DiffConverted, Currency: "USD", Stated: 99_320_600, Computed: 88_452_600},
		}},
		{"figures not stated are not checked", func(tb *ContributionTable) {
			tb.Rows[3].StatedSubtotal = nil
			tb.StatedLevelTotals = nil
			tb.StatedTotal = nil
			tb.StatedConverted = nil
		}, nil},
		{"to the fen, the dollar total differs by its rounding", func(tb *ContributionTable) {
			tb.WholeUnits = false
			delete(tb.StatedConverted, "CAD")
		}, []Difference{{Kind: DiffConverted, Currency: "USD", Stated: 99_320_600, Computed: 99_320_565}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := annexA()
			tt.change(&tb)
			got, err := CheckContributionTable(tb)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name != "figures not stated are not checked" {
				got = withoutAnnexCAD(got, tt.want)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// withoutAnnexCAD drops Annex A's own CAD error when a case does not expect a CAD difference.
func withoutAnnexCAD(got, want []Difference) []Difference {
	for _, w := range want {
		if w.Kind == DiffConverted && w.Currency == "CAD" {
			return got
		}
	}
	var out []Difference
	for _, d := range got {
		if !(d.Kind == DiffConverted && d.Currency == "CAD") {
			out = append(out, d)
		}
	}
	return out
}

func TestCheckContributionTableMalformed(t *testing.T) {
	tests := []struct {
		name   string
		change func(*ContributionTable)
		want   valid.FieldError
	}{
		{"unknown category", func(tb *ContributionTable) { tb.Rows[2].Category = "rent" },
			valid.FieldError{Row: 3, Field: "category", Rule: "one_of", Param: "staff_salary, part_time_input, office_rental, utilities, communication, local_transport, venue, publicity, incidental, other"}},
		{"category twice", func(tb *ContributionTable) { tb.Rows[2].Category = "staff_salary" },
			valid.FieldError{Row: 3, Field: "category", Rule: "unique", Param: "staff_salary"}},
		{"unknown level", func(tb *ContributionTable) { tb.Rows[1].Amounts["county"] = 1 },
			valid.FieldError{Row: 2, Field: "contributor_level", Rule: "one_of", Param: "national, provincial, local"}},
		{"negative cell", func(tb *ContributionTable) { tb.Rows[1].Amounts[LocalLevel] = -1 },
			valid.FieldError{Row: 2, Field: "amount", Rule: "not_negative"}},
		{"RMB is not an ISO code", func(tb *ContributionTable) { tb.Currency = "RMB" },
			valid.FieldError{Field: "currency", Rule: "currency"}},
		{"no rate for the table's currency", func(tb *ContributionTable) { tb.Rates = tb.Rates[1:] },
			valid.FieldError{Field: "rate", Rule: "rate_missing", Param: "CNY"}},
		{"no rate for a converted total", func(tb *ContributionTable) { tb.StatedConverted["EUR"] = 1 },
			valid.FieldError{Field: "rate", Rule: "rate_missing", Param: "EUR"}},
		{"zero rate", func(tb *ContributionTable) { tb.Rates[1].PerUSD = "0" },
			valid.FieldError{Field: "rate", Rule: "positive"}},
		{"fraction is no decimal", func(tb *ContributionTable) { tb.Rates[1].PerUSD = "49/50" },
			valid.FieldError{Field: "rate", Rule: "positive"}},
		{"rate twice", func(tb *ContributionTable) { tb.Rates = append(tb.Rates, tb.Rates[0]) },
			valid.FieldError{Field: "rate", Rule: "unique", Param: "CNY"}},
		{"undated rate", func(tb *ContributionTable) { tb.Rates[0].On = "" },
			valid.FieldError{Field: "rate_on", Rule: "required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := annexA()
			tt.change(&tb)
			_, err := CheckContributionTable(tb)
			es, ok := valid.As(err)
			if !ok || len(es) != 1 || es[0] != tt.want {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestConvert(t *testing.T) {
	cny := Rate{Currency: "CNY", PerUSD: "6.302", On: "2012-09-01"}
	cad := Rate{Currency: "CAD", PerUSD: "0.9812", On: "2012-09-01"}
	usd := Rate{Currency: "USD", PerUSD: "1", On: "2012-09-01"}
	half := Rate{Currency: "XXX", PerUSD: "2"}
	tests := []struct {
		amount   int64
		from, to Rate
		want     int64
	}{
		{625_918_200, cny, usd, 99_320_565}, // 993,205.649
		{625_918_200, cny, cad, 97_453_338}, // 974,533.383
		{99_320_600, usd, cny, 625_918_421}, // 6,259,184.2…, not the table's total: the rate is rounded
		{1, half, usd, 1},                   // 0.5 rounds up
		{-1, half, usd, -1},                 // and away from zero
		{3, half, usd, 2},                   // 1.5
		{0, cny, cad, 0},
	}
	for _, tt := range tests {
		got, err := Convert(tt.amount, tt.from, tt.to)
		if err != nil || got != tt.want {
			t.Errorf("Convert(%d, %s→%s) = %d, %v; want %d", tt.amount, tt.from.Currency, tt.to.Currency, got, err, tt.want)
		}
	}
	if _, err := Convert(1, Rate{Currency: "CNY", PerUSD: "-6"}, usd); err == nil {
		t.Error("negative rate accepted")
	}
}

func TestRateOn(t *testing.T) {
	rates := []Rate{
		{Currency: "CNY", PerUSD: "6.83", On: "2010-01-01"},
		{Currency: "CNY", PerUSD: "6.302", On: "2012-09-01"},
		{Currency: "CNY", PerUSD: "6.59", On: "2011-01-01"},
		{Currency: "CAD", PerUSD: "0.9812", On: "2012-09-01"},
	}
	tests := []struct {
		currency, date, want string
		ok                   bool
	}{
		{"CNY", "2011-06-30", "6.59", true},
		{"CNY", "2012-09-01", "6.302", true},
		{"CNY", "2009-12-31", "", false},
		{"CAD", "2012-06-30", "", false},
		{"USD", "2000-01-01", "1", true},
	}
	for _, tt := range tests {
		r, ok := RateOn(rates, tt.currency, tt.date)
		if ok != tt.ok || r.PerUSD != tt.want {
			t.Errorf("RateOn(%s, %s) = %+v, %v", tt.currency, tt.date, r, ok)
		}
	}
}

func TestLevelsAndCategories(t *testing.T) {
	for unit, want := range map[string]string{"national": NationalLevel, "provincial": ProvincialLevel,
		"municipal": LocalLevel, "county": LocalLevel, "community": LocalLevel} {
		if got, ok := ContributorLevelOf(unit); !ok || got != want {
			t.Errorf("ContributorLevelOf(%s) = %s", unit, got)
		}
	}
	if _, ok := ContributorLevelOf("village"); ok {
		t.Error("unknown unit level mapped")
	}
	for label, want := range map[string]string{"Office rental": "office_rental", " office RENTAL ": "office_rental",
		"办公室租金": "office_rental", "venue": "venue"} {
		if c, ok := CategoryByLabel(label); !ok || c.Code != want {
			t.Errorf("CategoryByLabel(%q) = %+v", label, c)
		}
	}
	if _, ok := CategoryByLabel("Rent"); ok {
		t.Error("unknown label matched")
	}
	if len(Categories) != len(annexA().Rows) {
		t.Errorf("%d categories, Annex A has %d rows", len(Categories), len(annexA().Rows))
	}
}

// FuzzCheckContributionTable builds a table from fuzzed cells, states the figures Ting computes,
// and expects no difference; then moves one stated figure and expects exactly that difference.
func FuzzCheckContributionTable(f *testing.F) {
	f.Add(int64(15_000_000), int64(85_140_000), int64(76_100_000), uint8(0), int64(100), false)
	f.Add(int64(1), int64(0), int64(-1), uint8(13), int64(-7), true)
	f.Add(int64(999), int64(12345), int64(6789), uint8(11), int64(1), true)
	f.Fuzz(func(t *testing.T, a, b, c int64, which uint8, delta int64, whole bool) {
		cell := func(v, k int64) int64 { return (v*(k+1)%MaxAmount + MaxAmount) % MaxAmount / 1000 }
		tb := ContributionTable{Currency: "CNY", WholeUnits: whole,
			Rates: []Rate{{Currency: "CNY", PerUSD: "6.302", On: "2012-09-01"}, {Currency: "CAD", PerUSD: "0.9812", On: "2012-09-01"}}}
		unit := int64(1)
		if whole {
			unit = 100
		}
		for k, cat := range Categories {
			amts := map[string]int64{NationalLevel: cell(a, int64(k)), ProvincialLevel: cell(b, int64(k)), LocalLevel: cell(c, int64(k))}
			if (a+b+int64(k))%3 == 0 {
				delete(amts, NationalLevel) // a blank cell
			}
			if whole {
				for lv, v := range amts {
					amts[lv] = v / 100 * 100
				}
			}
			tb.Rows = append(tb.Rows, ContributionRow{Category: cat.Code, Amounts: amts, StatedSubtotal: i64(0)})
		}
		tb.StatedLevelTotals = map[string]int64{NationalLevel: 0, ProvincialLevel: 0, LocalLevel: 0}
		tb.StatedTotal = i64(0)
		tb.StatedConverted = map[string]int64{"USD": 0, "CAD": 0}
		// State what Ting computes: take it from the differences against all-zero figures.
		first, err := CheckContributionTable(tb)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range first {
			if d.Computed%unit != 0 {
				t.Fatalf("%+v not rounded to %d", d, unit)
			}
			switch d.Kind {
			case DiffSubtotal:
				for i := range tb.Rows {
					if tb.Rows[i].Category == d.Category {
						*tb.Rows[i].StatedSubtotal = d.Computed
					}
				}
			case DiffLevelTotal:
				tb.StatedLevelTotals[d.Level] = d.Computed
			case DiffTotal:
				*tb.StatedTotal = d.Computed
			case DiffConverted:
				tb.StatedConverted[d.Currency] = d.Computed
			}
		}
		// The figures must add up among themselves.
		var subs, levels int64
		for _, r := range tb.Rows {
			subs += *r.StatedSubtotal
		}
		for _, v := range tb.StatedLevelTotals {
			levels += v
		}
		if !whole && (subs != *tb.StatedTotal || levels != *tb.StatedTotal) {
			t.Fatalf("subtotals %d and level totals %d do not make the total %d", subs, levels, *tb.StatedTotal)
		}
		if again, err := CheckContributionTable(tb); err != nil || len(again) != 0 {
			t.Fatalf("stated as computed, still %+v %v", again, err)
		}

		delta = delta % 1_000_000 * unit
		if delta == 0 {
			delta = unit
		}
		var want Difference
		switch k := int(which) % (len(tb.Rows) + 5); {
		case k < len(tb.Rows):
			r := tb.Rows[k]
			want = Difference{Kind: DiffSubtotal, Category: r.Category, Currency: "CNY", Computed: *r.StatedSubtotal}
			*r.StatedSubtotal += delta
		case k == len(tb.Rows):
			want = Difference{Kind: DiffLevelTotal, Level: LocalLevel, Currency: "CNY", Computed: tb.StatedLevelTotals[LocalLevel]}
			tb.StatedLevelTotals[LocalLevel] += delta
		case k == len(tb.Rows)+1:
			want = Difference{Kind: DiffTotal, Currency: "CNY", Computed: *tb.StatedTotal}
			*tb.StatedTotal += delta
		default:
			want = Difference{Kind: DiffConverted, Currency: "USD", Computed: tb.StatedConverted["USD"]}
			tb.StatedConverted["USD"] += delta
		}
		want.Stated = want.Computed + delta
		got, err := CheckContributionTable(tb)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != want || got[0].Delta() != delta {
			t.Fatalf("moved one figure by %d: got %+v, want %+v", delta, got, want)
		}
	})
}

func TestRateCheck(t *testing.T) {
	if es := (Rate{Currency: "CNY", PerUSD: "6.302", On: "2012-09-01"}).Check(); len(es) != 0 {
		t.Fatalf("good rate refused: %v", es)
	}
	es := (Rate{Currency: "RMB", PerUSD: "abc", On: "2012-13-01"}).Check()
	want := valid.Errors{{Field: "currency", Rule: "currency"}, {Field: "rate", Rule: "positive"}, {Field: "rate_on", Rule: "date"}}
	if !reflect.DeepEqual(es, want) {
		t.Fatalf("got %v, want %v", es, want)
	}
}

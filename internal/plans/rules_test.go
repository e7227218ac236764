package plans

import (
	"reflect"
	"strconv"
	"testing"

	"ting/internal/valid"
)

func cny(item string, amount int64) BudgetLine {
	return BudgetLine{Item: item, Currency: "CNY", Amount: amount}
}

func TestCheckIntervention(t *testing.T) {
	budget := []BudgetLine{cny("Training", 4_000_000), cny("Materials", 1_000_000)}
	in := func(format, start, end string) InterventionInput {
		return InterventionInput{Format: format, StartOn: start, EndOn: end, AdvanceShare: 2500, Budget: budget}
	}
	fe := func(field, rule, param string) valid.FieldError {
		return valid.FieldError{Field: field, Rule: rule, Param: param}
	}
	rowErr := func(row int, field, rule, param string) valid.FieldError {
		return valid.FieldError{Row: row, Field: field, Rule: rule, Param: param}
	}
	tests := []struct {
		name string
		in   InterventionInput
		want valid.Errors
	}{
		{"action programme of two years", in(ActionProgramme, "2010-03-01", "2012-02-29"), nil},
		{"action programme of 5 months", in(ActionProgramme, "2010-03-01", "2010-07-31"),
			valid.Errors{fe("end_on", "duration_range", "12-36")}},
		{"action programme of exactly 12 months", in(ActionProgramme, "2010-01-01", "2010-12-31"), nil},
		{"action programme a day short of 12 months", in(ActionProgramme, "2010-01-01", "2010-12-30"),
			valid.Errors{fe("end_on", "duration_range", "12-36")}},
		{"action programme of exactly 36 months", in(ActionProgramme, "2010-01-01", "2012-12-31"), nil},
		{"action programme a day over 36 months", in(ActionProgramme, "2010-01-01", "2013-01-01"),
			valid.Errors{fe("end_on", "duration_range", "12-36")}},
		{"action programme from the 31st", in(ActionProgramme, "2010-01-31", "2011-01-30"), nil},
		{"letter of exchange of 6 months", in(LetterOfExchange, "2012-02-01", "2012-07-31"),
			valid.Errors{fe("end_on", "duration_under", "2")}},
		{"letter of exchange of exactly 2 months", in(LetterOfExchange, "2012-01-01", "2012-02-29"),
			valid.Errors{fe("end_on", "duration_under", "2")}},
		{"letter of exchange a day under 2 months", in(LetterOfExchange, "2012-01-01", "2012-02-28"), nil},
		{"excol of one day", in(ExternalCollaboration, "2012-05-10", "2012-05-10"), nil},
		{"excol of 3 months", in(ExternalCollaboration, "2012-05-10", "2012-08-09"),
			valid.Errors{fe("end_on", "duration_under", "2")}},
		{"service contract of 12 months", in(ServiceContract, "2011-01-01", "2011-12-31"),
			valid.Errors{fe("end_on", "duration_under", "12")}},
		{"service contract a day under 12 months", in(ServiceContract, "2011-01-01", "2011-12-30"), nil},
		{"seminar of one day", in(SeminarAgreement, "2012-02-20", "2012-02-20"), nil},
		{"mini programme of 13 months", in(MiniProgramme, "2011-01-01", "2012-01-31"),
			valid.Errors{fe("end_on", "duration_under", "12")}},
		{"end before start", in(MiniProgramme, "2011-05-01", "2011-04-30"),
			valid.Errors{fe("end_on", "not_before", "start_on")}},
		{"unknown format", in("workshop", "2011-05-01", "2011-05-02"),
			valid.Errors{fe("format", "one_of", "action_programme, service_contract, seminar_agreement, mini_programme, external_collaboration, letter_of_exchange")}},
		{"no format, no dates", InterventionInput{Budget: budget},
			valid.Errors{fe("format", "required", ""), fe("start_on", "required", ""), fe("end_on", "required", "")}},
		{"bad date", in(ServiceContract, "2011-02-30", "2011-05-02"), valid.Errors{fe("start_on", "date", "")}},
		{"advance of 100%", InterventionInput{Format: ServiceContract, StartOn: "2011-01-01", EndOn: "2011-03-01", AdvanceShare: 10000, Budget: budget},
			valid.Errors{fe("advance_share", "advance_share", "")}},
		{"negative advance", InterventionInput{Format: ServiceContract, StartOn: "2011-01-01", EndOn: "2011-03-01", AdvanceShare: -1, Budget: budget},
			valid.Errors{fe("advance_share", "advance_share", "")}},
		{"zero advance", InterventionInput{Format: ServiceContract, StartOn: "2011-01-01", EndOn: "2011-03-01", Budget: budget}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CheckIntervention(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}

	// Budget lines.
	budgetTests := []struct {
		name  string
		lines []BudgetLine
		want  valid.Errors
	}{
		{"no lines", nil, valid.Errors{fe("budget", "required", "")}},
		{"negative amount", []BudgetLine{cny("Training", -100)}, valid.Errors{rowErr(1, "amount", "not_negative", "")}},
		{"RMB is not an ISO code", []BudgetLine{{Item: "Training", Currency: "RMB", Amount: 1}},
			valid.Errors{rowErr(1, "currency", "currency", "")}},
		{"lower-case code", []BudgetLine{{Item: "Training", Currency: "cny", Amount: 1}},
			valid.Errors{rowErr(1, "currency", "currency", "")}},
		{"no currency", []BudgetLine{{Item: "Training", Amount: 1}}, valid.Errors{rowErr(1, "currency", "required", "")}},
		{"mixed currencies", []BudgetLine{cny("Training", 1), {Item: "Travel", Currency: "USD", Amount: 1}},
			valid.Errors{rowErr(2, "currency", "currency_mixed", "CNY")}},
		{"same item twice", []BudgetLine{cny("Training", 1), cny(" Training ", 2)},
			valid.Errors{rowErr(2, "budget_item", "unique", "Training")}},
		{"blank item", []BudgetLine{cny(" ", 1)}, valid.Errors{rowErr(1, "budget_item", "required", "")}},
		{"all zero", []BudgetLine{cny("Training", 0), cny("Travel", 0)}, valid.Errors{fe("budget", "positive", "")}},
		{"line too large", []BudgetLine{cny("Training", MaxAmount+1)},
			valid.Errors{rowErr(1, "amount", "not_above", strconv.FormatInt(MaxAmount/100, 10))}},
		{"total too large", []BudgetLine{cny("Training", MaxAmount), cny("Travel", MaxAmount)},
			valid.Errors{fe("budget", "not_above", strconv.FormatInt(MaxAmount/100, 10))}},
		{"USD budget", []BudgetLine{{Item: "Research", Currency: "USD", Amount: 1_500_000}}, nil},
	}
	for _, tt := range budgetTests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckIntervention(InterventionInput{Format: ServiceContract, StartOn: "2011-01-01", EndOn: "2011-03-01", Budget: tt.lines})
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	if len(Formats) != 6 {
		t.Fatalf("%d formats, want the six of the seeds", len(Formats))
	}
	for _, f := range Formats {
		g, ok := FormatByCode(f.Code)
		if !ok || g.Code != f.Code || f.Name("zh") == "" || f.Name("en") == "" || f.Name("zh") == f.Name("en") {
			t.Errorf("%s: lookup or names wrong", f.Code)
		}
		// Periodic formats owe progress and final reports, the others only a final report.
		want := []string{FinalReport}
		if f.Periodic() {
			want = []string{ProgressReport, FinalReport}
		}
		if !reflect.DeepEqual(f.ReportKinds, want) {
			t.Errorf("%s: report kinds %v, want %v", f.Code, f.ReportKinds, want)
		}
	}
	if _, ok := FormatByCode("workshop"); ok {
		t.Error("unknown code found")
	}
}

func TestSchedule(t *testing.T) {
	r := func(seq int, kind, from, to, due, grace string) ReportDue {
		return ReportDue{Seq: seq, Kind: kind, PeriodStart: from, PeriodEnd: to, Due: due, GraceUntil: grace}
	}
	tests := []struct {
		name       string
		format     string
		start, end string
		grace      int
		want       []ReportDue
	}{
		{"action programme of 12 months", ActionProgramme, "2010-03-01", "2011-02-28", 10, []ReportDue{
			r(1, ProgressReport, "2010-03-01", "2010-06-30", "2010-07-30", "2010-08-09"),
			r(2, ProgressReport, "2010-07-01", "2010-10-31", "2010-11-30", "2010-12-10"),
			r(3, FinalReport, "2010-11-01", "2011-02-28", "2011-04-29", "2011-05-09"),
		}},
		{"a fortnight after the last period joins it", ActionProgramme, "2010-03-01", "2011-03-15", 10, []ReportDue{
			r(1, ProgressReport, "2010-03-01", "2010-06-30", "2010-07-30", "2010-08-09"),
			r(2, ProgressReport, "2010-07-01", "2010-10-31", "2010-11-30", "2010-12-10"),
			r(3, FinalReport, "2010-11-01", "2011-03-15", "2011-05-14", "2011-05-24"),
		}},
		{"two months after the last period are their own", ActionProgramme, "2010-03-01", "2011-04-30", 10, []ReportDue{
			r(1, ProgressReport, "2010-03-01", "2010-06-30", "2010-07-30", "2010-08-09"),
			r(2, ProgressReport, "2010-07-01", "2010-10-31", "2010-11-30", "2010-12-10"),
			r(3, ProgressReport, "2010-11-01", "2011-02-28", "2011-03-30", "2011-04-09"),
			r(4, FinalReport, "2011-03-01", "2011-04-30", "2011-06-29", "2011-07-09"),
		}},
		{"from the 31st, months clamp", ActionProgramme, "2010-01-31", "2011-01-30", 0, []ReportDue{
			r(1, ProgressReport, "2010-01-31", "2010-05-30", "2010-06-29", "2010-06-29"),
			r(2, ProgressReport, "2010-05-31", "2010-09-29", "2010-10-29", "2010-10-29"),
			r(3, FinalReport, "2010-09-30", "2011-01-30", "2011-03-31", "2011-03-31"),
		}},
		{"service contract", ServiceContract, "2011-04-01", "2011-09-30", 10, []ReportDue{
			r(1, FinalReport, "2011-04-01", "2011-09-30", "2011-10-30", "2011-11-09")}},
		{"seminar agreement", SeminarAgreement, "2012-02-20", "2012-02-21", 0, []ReportDue{
			r(1, FinalReport, "2012-02-20", "2012-02-21", "2012-03-22", "2012-03-22")}},
		{"mini programme", MiniProgramme, "2011-04-01", "2011-09-30", 5, []ReportDue{
			r(1, FinalReport, "2011-04-01", "2011-09-30", "2011-10-30", "2011-11-04")}},
		{"excol", ExternalCollaboration, "2012-05-10", "2012-05-10", 0, []ReportDue{
			r(1, FinalReport, "2012-05-10", "2012-05-10", "2012-06-09", "2012-06-09")}},
		{"letter of exchange", LetterOfExchange, "2012-01-01", "2012-02-28", 10, []ReportDue{
			r(1, FinalReport, "2012-01-01", "2012-02-28", "2012-03-29", "2012-04-08")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Schedule(tt.format, tt.start, tt.end, tt.grace)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got\n%v\nwant\n%v", got, tt.want)
			}
		})
	}

	// Three years: eight progress reports, the ninth is the final.
	got, err := Schedule(ActionProgramme, "2010-01-01", "2012-12-31", 0)
	if err != nil || len(got) != 9 || got[7].Kind != ProgressReport || got[8].Kind != FinalReport ||
		got[8].PeriodStart != "2012-09-01" {
		t.Fatalf("three-year programme: %v %v", got, err)
	}

	for _, bad := range []struct{ format, start, end string }{
		{"workshop", "2011-01-01", "2011-02-01"},
		{ServiceContract, "2011-13-01", "2011-02-01"},
		{ServiceContract, "2011-01-01", ""},
		{ServiceContract, "2011-02-01", "2011-01-31"},
	} {
		if _, err := Schedule(bad.format, bad.start, bad.end, 0); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := Schedule(ServiceContract, "2011-01-01", "2011-02-01", -1); err == nil {
		t.Error("negative grace accepted")
	}
}

// FuzzSchedule checks what every schedule must be: contiguous periods covering start..end, every
// period but the last of exactly four months, a final report last, due dates after their periods,
// and tranches that add up to the budget.
func FuzzSchedule(f *testing.F) {
	f.Add(0, int64(0), 730, 10, int64(10_000_000), 2500)
	f.Add(0, int64(30), 380, 0, int64(1), 9999)
	f.Add(1, int64(400), 45, 3, int64(333), 3333)
	f.Fuzz(func(t *testing.T, fi int, startOff int64, length, grace int, budget int64, share int) {
		format := Formats[(fi%len(Formats)+len(Formats))%len(Formats)]
		base, _ := parseDate("2000-01-01")
		s := base.AddDate(0, 0, int(startOff%20000+20000)%20000)
		e := s.AddDate(0, 0, (length%3000+3000)%3000)
		grace = (grace%400 + 400) % 400
		sched, err := Schedule(format.Code, formatDate(s), formatDate(e), grace)
		if err != nil {
			t.Fatal(err)
		}
		if sched[0].PeriodStart != formatDate(s) || sched[len(sched)-1].PeriodEnd != formatDate(e) {
			t.Fatalf("schedule does not span %s..%s: %v", formatDate(s), formatDate(e), sched)
		}
		for i, r := range sched {
			from, _ := parseDate(r.PeriodStart)
			to, _ := parseDate(r.PeriodEnd)
			due, _ := parseDate(r.Due)
			g, _ := parseDate(r.GraceUntil)
			if r.Seq != i+1 || to.Before(from) || !due.After(to) || daysBetween(due, g) != grace {
				t.Fatalf("report %d malformed: %+v", i+1, r)
			}
			if i > 0 {
				prev, _ := parseDate(sched[i-1].PeriodEnd)
				if daysBetween(prev, from) != 1 {
					t.Fatalf("gap or overlap before report %d: %v", r.Seq, sched)
				}
			}
			last := i == len(sched)-1
			if last != (r.Kind == FinalReport) {
				t.Fatalf("report %d kind %s", r.Seq, r.Kind)
			}
			if !last {
				n := format.ReportEveryMonths
				if !from.Equal(addMonths(s, n*i)) || !to.AddDate(0, 0, 1).Equal(addMonths(s, n*(i+1))) {
					t.Fatalf("progress period %d is not months %d-%d from the start: %+v", r.Seq, n*i, n*(i+1), r)
				}
			} else if format.Periodic() && len(sched) > 1 {
				if m, _ := spanMonths(from, to); m < 1 {
					t.Fatalf("final period under a month: %+v", r)
				}
			}
		}
		budget = (budget%MaxAmount + MaxAmount) % MaxAmount
		share = (share%10000 + 10000) % 10000
		tranches, err := TranchePlan(format.Code, budget, share, sched)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, tr := range tranches {
			if tr.Amount <= 0 {
				t.Fatalf("tranche of %d", tr.Amount)
			}
			sum += tr.Amount
		}
		if sum != budget {
			t.Fatalf("tranches sum to %d, budget %d", sum, budget)
		}
	})
}

func TestDaysLate(t *testing.T) {
	r := ReportDue{Seq: 1, Kind: ProgressReport, PeriodStart: "2010-03-01", PeriodEnd: "2010-06-30", Due: "2010-07-30", GraceUntil: "2010-08-09"}
	tests := []struct {
		submitted, asOf string
		want            int
	}{
		{"2010-07-01", "2010-12-31", 0}, // early
		{"2010-08-09", "2010-12-31", 0}, // last day of grace
		{"2010-08-10", "2010-12-31", 11},
		{"", "2010-08-01", 0}, // not submitted, within grace
		{"", "2010-09-01", 33},
	}
	for _, tt := range tests {
		got, err := DaysLate(r, tt.submitted, tt.asOf)
		if err != nil || got != tt.want {
			t.Errorf("DaysLate(%q, %q) = %d, %v; want %d", tt.submitted, tt.asOf, got, err, tt.want)
		}
	}
	if _, err := DaysLate(r, "", "soon"); err == nil {
		t.Error("bad date accepted")
	}
}

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"6,259,182", 625918200, true},
		{"1234.5", 123450, true},
		{"-12.30", -1230, true},
		{" 0.07 ", 7, true},
		{"１", 0, false},
		{"3，000", 300000, true},
		{"12.345", 0, false},
		{"12.", 0, false},
		{".5", 0, false},
		{"", 0, false},
		{"1e6", 0, false},
		{"9999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		date string
		n    int
		want string
	}{
		{"2011-01-31", 1, "2011-02-28"},
		{"2012-01-31", 1, "2012-02-29"},
		{"2012-02-29", 12, "2013-02-28"},
		{"2010-11-30", 3, "2011-02-28"},
		{"2011-03-31", -1, "2011-02-28"},
		{"2010-03-01", 4, "2010-07-01"},
	}
	for _, tt := range tests {
		if got, err := AddMonths(tt.date, tt.n); err != nil || got != tt.want {
			t.Errorf("AddMonths(%s, %d) = %s, %v; want %s", tt.date, tt.n, got, err, tt.want)
		}
	}
	if got, _ := AddDays("2012-02-28", 2); got != "2012-03-01" {
		t.Errorf("AddDays: %s", got)
	}
	if got, _ := DaysBetween("2012-03-01", "2012-02-28"); got != -2 {
		t.Errorf("DaysBetween: %d", got)
	}
	spans := []struct {
		start, end   string
		months, days int
	}{
		{"2010-03-01", "2011-02-28", 12, 0},
		{"2010-03-01", "2010-07-15", 4, 15},
		{"2012-05-10", "2012-05-10", 0, 1},
		{"2010-01-28", "2010-02-26", 0, 30},
		{"2010-01-31", "2010-02-27", 1, 0}, // a month from the 31st ends on the 28th, clamped
		{"2010-01-31", "2010-02-28", 1, 1},
	}
	for _, sp := range spans {
		s, _ := parseDate(sp.start)
		e, _ := parseDate(sp.end)
		if m, d := spanMonths(s, e); m != sp.months || d != sp.days {
			t.Errorf("spanMonths(%s, %s) = %d, %d; want %d, %d", sp.start, sp.end, m, d, sp.months, sp.days)
		}
	}
}

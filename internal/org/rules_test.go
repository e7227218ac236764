package org

import (
	"testing"

	"ting/internal/valid"
)

func rules(es valid.Errors) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Field+":"+e.Rule)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCheckUnitInput(t *testing.T) {
	ok := UnitInput{Code: "JS", Level: Provincial, NameZH: "江苏省", NameEN: "Jiangsu", Tags: []string{"pilot", "receiving"}}
	tests := []struct {
		name string
		edit func(*UnitInput)
		want []string
	}{
		{"valid", func(*UnitInput) {}, nil},
		{"code required", func(u *UnitInput) { u.Code = " " }, []string{"code:required"}},
		{"code with space", func(u *UnitInput) { u.Code = "J S" }, []string{"code:code_chars"}},
		{"code too long", func(u *UnitInput) { u.Code = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" }, []string{"code:max_len"}},
		{"level unknown", func(u *UnitInput) { u.Level = 9 }, []string{"level:level"}},
		{"names required", func(u *UnitInput) { u.NameZH, u.NameEN = "", "" }, []string{"name_zh:required", "name_en:required"}},
		{"unknown tag", func(u *UnitInput) { u.Tags = []string{"coastal"} }, []string{"tags:one_of"}},
		{"sending and receiving", func(u *UnitInput) { u.Tags = []string{"sending", "receiving"} }, []string{"tags:tags_exclusive"}},
		{"pilot and light", func(u *UnitInput) { u.Tags = []string{"pilot", "light"} }, []string{"tags:tags_exclusive"}},
		{"bad effective date", func(u *UnitInput) { u.Effective = "2011-02-30" }, []string{"effective:date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			in.Tags = append([]string(nil), ok.Tags...)
			tt.edit(&in)
			if got := rules(CheckUnitInput(in)); !equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckPlacement(t *testing.T) {
	prov := &Unit{Level: Provincial}
	closed := &Unit{Level: Municipal, ClosedOn: "2011-01-01"}
	tests := []struct {
		name   string
		level  Level
		parent *Unit
		want   []string
	}{
		{"national root", National, nil, nil},
		{"province needs parent", Provincial, nil, []string{"parent_id:required"}},
		{"national under something", National, prov, []string{"level:national_no_parent"}},
		{"city under province", Municipal, prov, nil},
		{"county may skip the city level", County, prov, nil},
		{"province under province", Provincial, prov, []string{"level:below_parent"}},
		{"under a closed unit", County, closed, []string{"parent_id:parent_closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules(CheckPlacement(tt.level, tt.parent)); !equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckEffective(t *testing.T) {
	tests := []struct {
		name                       string
		effective, lastFrom, today string
		amend                      bool
		want                       []string
	}{
		{"later day starts a new version", "2011-06-01", "2010-01-01", "2012-01-01", false, nil},
		{"same day amends", "2010-01-01", "2010-01-01", "2012-01-01", true, nil},
		{"before last change refused", "2009-12-31", "2010-01-01", "2012-01-01", false, []string{"effective:after_last_change"}},
		{"future refused", "2012-01-02", "2010-01-01", "2012-01-01", false, []string{"effective:not_future"}},
		{"today allowed", "2012-01-01", "2010-01-01", "2012-01-01", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			amend, es := CheckEffective(tt.effective, tt.lastFrom, tt.today)
			if amend != tt.amend || !equal(rules(es), tt.want) {
				t.Errorf("got amend=%v %v, want amend=%v %v", amend, rules(es), tt.amend, tt.want)
			}
		})
	}
}

func TestCheckPartnerInput(t *testing.T) {
	ok := PartnerInput{Code: "NNU", UnitID: 3, Type: "research", NameZH: "南京师范大学", NameEN: "Nanjing Normal University"}
	tests := []struct {
		name string
		edit func(*PartnerInput)
		want []string
	}{
		{"valid", func(*PartnerInput) {}, nil},
		{"unknown type", func(p *PartnerInput) { p.Type = "church" }, []string{"type:one_of"}},
		{"sector on a type without sectors", func(p *PartnerInput) { p.Sector = "education" }, []string{"sector:no_sector_for_type"}},
		{"government sector ok", func(p *PartnerInput) { p.Type, p.Sector = "government", "railways" }, nil},
		{"school with a bureau sector", func(p *PartnerInput) { p.Type, p.Sector = "school", "railways" }, []string{"sector:one_of"}},
		{"unit required", func(p *PartnerInput) { p.UnitID = 0 }, []string{"unit_id:required"}},
		{"code with comma", func(p *PartnerInput) { p.Code = "A,B" }, []string{"code:code_chars"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			tt.edit(&in)
			if got := rules(CheckPartnerInput(in)); !equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckMemberAndMeeting(t *testing.T) {
	if got := rules(CheckMemberInput(MemberInput{PersonName: "王芳", Role: "chair", Since: "2010-03-01", Until: "2010-02-01"})); !equal(got, []string{"until:not_before"}) {
		t.Errorf("member leaving before joining: %v", got)
	}
	if got := rules(CheckMemberInput(MemberInput{PersonName: "王芳", Role: "boss", Since: "2010-03-01"})); !equal(got, []string{"role:one_of"}) {
		t.Errorf("unknown role: %v", got)
	}
	if got := rules(CheckMeetingInput(MeetingInput{HeldOn: "2013-01-01"}, "2012-09-30")); !equal(got, []string{"held_on:not_future"}) {
		t.Errorf("future meeting: %v", got)
	}
	if got := rules(CheckMeetingInput(MeetingInput{HeldOn: "2011-05-01", Decisions: []Decision{{Text: " "}}}, "2012-09-30")); !equal(got, []string{"decisions:decision_text"}) {
		t.Errorf("empty decision: %v", got)
	}
	if got := rules(CheckPositionInput(PositionInput{Title: "ppa", Holder: "李娜", StartOn: "2011-05-01", EndOn: "2011-04-01"})); !equal(got, []string{"end_on:not_before"}) {
		t.Errorf("position ending before it starts: %v", got)
	}
}

func TestTurnover(t *testing.T) {
	// Yunnan's assistants changed three times; the CTA post stood empty between holders.
	ps := []Position{
		{Title: "ppa", Holder: "A", StartOn: "2010-01-01", EndOn: "2010-06-30"},
		{Title: "ppa", Holder: "B", StartOn: "2010-07-01", EndOn: "2011-03-31"},
		{Title: "ppa", Holder: "C", StartOn: "2011-04-11", EndOn: "2012-01-31"},
		{Title: "ppa", Holder: "D", StartOn: "2012-02-01"},
		{Title: "cta", Holder: "X", StartOn: "2010-01-01", EndOn: "2010-05-31"},
		{Title: "cta", Holder: "Y", StartOn: "2010-10-01", EndOn: "2012-03-31"},
		{Title: "npc", Holder: "Z", StartOn: "2009-06-01"},
	}
	got := Turnover(ps, "2010-01-01", "2012-06-30")
	byTitle := map[string]TitleTurnover{}
	for _, tt := range got {
		byTitle[tt.Title] = tt
	}
	tests := []struct {
		title                       string
		holders, departures, vacant int
		heldNow                     bool
		current                     string
	}{
		// ppa: April 1-10 2011 empty = 10 days.
		{"ppa", 4, 3, 10, true, "D"},
		// cta: June-September 2010 (122 days) and April-June 2012 (91 days).
		{"cta", 2, 2, 122 + 91, false, ""},
		{"npc", 1, 0, 0, true, "Z"},
	}
	for _, tt := range tests {
		g, ok := byTitle[tt.title]
		if !ok {
			t.Errorf("%s missing", tt.title)
			continue
		}
		if g.Holders != tt.holders || g.Departures != tt.departures || g.VacantDays != tt.vacant || g.HeldNow != tt.heldNow || g.CurrentName != tt.current {
			t.Errorf("%s: got %+v, want holders=%d departures=%d vacant=%d now=%v %q", tt.title, g, tt.holders, tt.departures, tt.vacant, tt.heldNow, tt.current)
		}
	}
	if _, ok := byTitle["translator"]; ok {
		t.Error("titles never held should be omitted")
	}
	if Turnover(ps, "2012-01-01", "2011-01-01") != nil {
		t.Error("reversed period should give nothing")
	}
	// npc tenure counts from the start of the post, not the period.
	if g := byTitle["npc"]; g.MeanTenure != 1126 {
		t.Errorf("npc mean tenure %d, want 1126 days (2009-06-01..2012-06-30)", g.MeanTenure)
	}
}

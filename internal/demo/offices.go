package demo

import (
	"context"
	"fmt"

	"ting/internal/org"
)

// post is one person's time in one title. holder is set for the people the seeds name;
// otherwise a name is drawn for the seat.
type post struct {
	title, holder, fundedBy, start, end, note string
}

const iloFunded = "ILO-IPEC (CIDA)"

// nationalStaff follows seed 001 §2.3 "Joint Project Management Office": a CTA who left in
// 2010, a successor recruited late who left in late March 2012, a programme officer promoted
// to national project manager in April 2012, a technical consultant from April 2012, the
// ACWF's national project coordinator, two programme officers, admin support and a translator.
// The review team's three members are named by the seed; the CTAs are fictitious.
var nationalStaff = []post{
	{"cta", "Martin Keller", iloFunded, "2010-01-04", "2010-07-30", "First CTA of Phase II; the post then stayed vacant while a successor was recruited."},
	{"cta", "Sofia Almeida", iloFunded, "2011-02-14", "2012-03-30", "Recruited behind schedule; departed late March 2012."},
	{"npc", "Duan Guohui", "ACWF", "2010-01-04", "", "National Project Coordinator seconded by the ACWF."},
	{"npo", "Guo Jia", iloFunded, "2010-01-04", "2012-03-31", "Promoted to national project manager."},
	{"npm", "Guo Jia", iloFunded, "2012-04-01", "", "Took over full management after the CTA left."},
	{"npo", "", iloFunded, "2010-01-04", "", ""},
	{"technical_consultant", "Laurence Phillips", iloFunded, "2012-04-16", "", "Technical assistance to the downsized team; led the 2012 internal technical review."},
	{"admin", "", iloFunded, "2010-01-04", "", ""},
	{"translator", "", iloFunded, "2010-02-01", "", ""},
}

// provincialTurnover lists the changes §2.3 and §5.2 report: Yunnan's project assistants
// changed three times, Jiangsu changed PPC and PPA in 2011, Guizhou hired a new PPA and its
// PPC left the women's federation. Offices not listed kept their first PPC and PPA.
var provincialTurnover = map[string]map[string][]post{
	"YN": {"ppa": {
		{end: "2010-08-31"},
		{start: "2010-09-15", end: "2011-05-31"},
		{start: "2011-06-20", end: "2012-02-29"},
		{start: "2012-03-12"},
	}},
	"JS": {
		"ppc": {{end: "2011-04-30"}, {start: "2011-05-16"}},
		"ppa": {{end: "2011-09-30"}, {start: "2011-10-17"}},
	},
	"GZ": {
		"ppc": {{end: "2012-04-30", note: "Left the provincial women's federation."}, {start: "2012-05-14"}},
		"ppa": {{end: "2011-08-31"}, {start: "2011-09-19", note: "New PPA hired and trained by the national team."}},
	},
}

func (p pilot) staff() []post {
	var out []post
	for _, title := range []string{"ppc", "ppa"} {
		funded := p.en + " Provincial Women's Federation"
		if title == "ppa" {
			funded = "CP-TING, by agreement with the " + p.en + " Provincial Women's Federation"
		}
		posts := provincialTurnover[p.code][title]
		if posts == nil {
			posts = []post{{}}
		}
		for _, ps := range posts {
			ps.title, ps.fundedBy = title, funded
			if ps.start == "" {
				ps.start = p.officeOpened
			}
			out = append(out, ps)
		}
	}
	return out
}

func (l *loader) offices(ctx context.Context) error {
	if err := l.office(ctx, "CN", "national", "CP-TING项目国家联合办公室（国际劳工组织北京局）",
		"Joint National Project Office (ILO Beijing)", "CN/office", nationalStaff); err != nil {
		return fmt.Errorf("national office: %w", err)
	}
	for _, p := range pilots {
		if err := l.office(ctx, p.code, "provincial", p.short+"省项目办公室", p.en+" Provincial Project Office", p.code+"/office", p.staff()); err != nil {
			return fmt.Errorf("%s office: %w", p.en, err)
		}
	}
	return nil
}

func (l *loader) office(ctx context.Context, unit, kind, zh, en, key string, staff []post) error {
	u, err := l.unitOf(unit)
	if err != nil {
		return err
	}
	existing, err := l.org.Offices(ctx, l.a, u.ID)
	if err != nil {
		return err
	}
	var o org.Office
	for _, e := range existing {
		if e.NameZH == zh {
			o = e
		}
	}
	if o.ID == 0 {
		if o, err = l.org.CreateOffice(ctx, l.a, org.OfficeInput{UnitID: u.ID, Kind: kind, NameZH: zh, NameEN: en}); err != nil {
			return err
		}
	}
	held, err := l.org.Staff(ctx, l.a, o.ID)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range held {
		have[p.Title+"|"+p.Holder+"|"+p.StartOn] = true
	}
	seen := map[string]int{}
	for _, ps := range staff {
		holder := ps.holder
		if holder == "" {
			holder = l.names.name(fmt.Sprintf("%s/%s/%d", key, ps.title, seen[ps.title]))
		}
		seen[ps.title]++
		if have[ps.title+"|"+holder+"|"+ps.start] {
			continue
		}
		_, err := l.org.AddPosition(ctx, l.a, o.ID, org.PositionInput{Title: ps.title, Holder: holder, FundedBy: ps.fundedBy,
			StartOn: ps.start, EndOn: ps.end, Note: ps.note})
		if err != nil {
			return fmt.Errorf("%s %s from %s: %w", ps.title, holder, ps.start, err)
		}
	}
	return nil
}

package beneficiaries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Participatory monitoring (DOMAIN.md §4): beneficiaries rate the services they received and
// say what they think; the site records what it did about it. Feedback is given with a card or
// anonymously; an anonymous response keeps no link to any card.

// FeedbackInput is one response.
type FeedbackInput struct {
	SiteID      int64  `json:"site_id"`
	ServiceType string `json:"service_type"`
	CardID      int64  `json:"card_id"`   // 0: anonymous
	Anonymous   bool   `json:"anonymous"` // no link to the card, even when one is given
	Date        string `json:"date"`
	Rating      int    `json:"rating"` // 1..5
	Comment     string `json:"comment"`
	Action      string `json:"action"` // what the site did about it
}

// Feedback is one stored response. Card is the card's number, blank for anonymous responses
// and for readers who may not see cards.
type Feedback struct {
	ID          int64  `json:"id"`
	SiteID      int64  `json:"site_id"`
	SiteCode    string `json:"site_code"`
	SiteNameZH  string `json:"site_name_zh"`
	SiteNameEN  string `json:"site_name_en"`
	ServiceType string `json:"service_type"`
	CardID      int64  `json:"card_id,omitempty"`
	Card        string `json:"card,omitempty"`
	Anonymous   bool   `json:"anonymous"`
	Date        string `json:"date"`
	Rating      int    `json:"rating"`
	Comment     string `json:"comment"`
	Action      string `json:"action"`
	CreatedBy   string `json:"created_by"`
}

// SiteName is the site's name in lang.
func (f Feedback) SiteName(lang string) string { return pick(lang, f.SiteNameZH, f.SiteNameEN) }

// CheckFeedback validates a response as of today: the rules that need no database.
func CheckFeedback(in FeedbackInput, today string) valid.Errors {
	var es valid.Errors
	if in.SiteID == 0 {
		es.Add("site_id", "required")
	}
	if es.Required("service_type", in.ServiceType) {
		es.OneOf("service_type", in.ServiceType, ServiceTypes)
	}
	if es.Required("date", in.Date) && es.Date("date", in.Date) && in.Date > today {
		es.Add("date", "not_future", today)
	}
	if in.Rating < 1 || in.Rating > 5 {
		es.Add("rating", "range", "1-5")
	}
	es.MaxLen("comment", in.Comment, 2000)
	es.MaxLen("action", in.Action, 1000)
	return es
}

// AddFeedback records one response at a site of the actor's scope. A card given with a
// response that is not anonymous must be one the actor sees and still live; an anonymous
// response stores no card even when one was given.
func (s *Service) AddFeedback(ctx context.Context, a access.Actor, in FeedbackInput) (Feedback, error) {
	if err := a.Require(access.EditCards); err != nil {
		return Feedback{}, err
	}
	in.ServiceType = strings.TrimSpace(in.ServiceType)
	in.Date = strings.TrimSpace(in.Date)
	in.Comment = strings.TrimSpace(in.Comment)
	in.Action = strings.TrimSpace(in.Action)
	if in.CardID == 0 {
		in.Anonymous = true
	}
	if err := CheckFeedback(in, s.today()).Err(); err != nil {
		return Feedback{}, err
	}
	var out Feedback
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := unitPath(ctx, tx, a, in.SiteID, "site_id"); err != nil {
			return err
		}
		var card any
		if !in.Anonymous {
			c, err := s.card(ctx, tx, a, in.CardID)
			if errors.Is(err, store.ErrNotFound) {
				return valid.New("card_id", "not_found")
			}
			if err != nil {
				return err
			}
			if c.Anonymised != "" || c.MergedInto != 0 {
				return valid.New("card_id", "anonymised")
			}
			card = c.ID
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO feedback (site_id, service_type, card_id, given_on, rating, comment, action, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
			in.SiteID, in.ServiceType, card, in.Date, in.Rating, in.Comment, in.Action, a.PublicID, store.Now()).Scan(&id); err != nil {
			return err
		}
		rows, err := s.feedbackRows(ctx, tx, a, `f.id = $1`, []any{id}, 1)
		if err != nil {
			return err
		}
		out = rows[0]
		return audit.Record(ctx, tx, a, "create", "feedback", id, in.SiteID, nil, out)
	})
	return out, err
}

const feedbackCols = `f.id, f.site_id, u.code, u.name_zh, u.name_en, f.service_type, COALESCE(f.card_id, 0), COALESCE(c.number, ''), f.given_on, f.rating, f.comment, f.action, f.created_by`
const feedbackFrom = ` FROM feedback f JOIN org_units u ON u.id = f.site_id LEFT JOIN cards c ON c.id = f.card_id`

// feedbackRows reads responses by a condition on feedback (alias f) and its site (alias u),
// newest first. The card number, the comment and the action taken are shown only to readers who
// may see cards.
func (s *Service) feedbackRows(ctx context.Context, q store.Queryer, a access.Actor, cond string, args []any, limit int) ([]Feedback, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+feedbackCols+feedbackFrom+` WHERE `+cond+` ORDER BY f.given_on DESC, f.id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Feedback
	for rows.Next() {
		var f Feedback
		if err := rows.Scan(&f.ID, &f.SiteID, &f.SiteCode, &f.SiteNameZH, &f.SiteNameEN, &f.ServiceType, &f.CardID, &f.Card, &f.Date, &f.Rating,
			&f.Comment, &f.Action, &f.CreatedBy); err != nil {
			return nil, err
		}
		f.Anonymous = f.CardID == 0
		if f.Anonymous || !a.Can(access.ViewCards) {
			f.Card = ""
		}
		if !Exact(a) { // free text about a person's case (see FeedbackReport.CommentsWithheld)
			f.Comment, f.Action = "", ""
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// scopedUnit reads a unit for an aggregate: outside the actor's scope it is not found.
func scopedUnit(ctx context.Context, q store.Queryer, a access.Actor, id int64) (string, error) {
	var path string
	err := q.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, id).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(path) {
		return "", fmt.Errorf("unit %d: %w", id, store.ErrNotFound)
	}
	return path, err
}

// Feedback lists the responses given at a unit (a site, or every site below a unit), newest
// first; limit 0 means 50, at most 500.
func (s *Service) Feedback(ctx context.Context, a access.Actor, siteID int64, limit int) ([]Feedback, error) {
	if err := a.Require(access.ViewReach); err != nil {
		return nil, err
	}
	path, err := scopedUnit(ctx, s.db.R, a, siteID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	return s.feedbackRows(ctx, s.db.R, a, `u.path LIKE $1`, []any{path + "%"}, limit)
}

// FeedbackFigures are the figures of a set of responses. To a viewer who may not see counts
// exactly (Exact) a set of fewer than MinCell responses, or the next smallest where one alone
// would be hidden (see withholdFeedback), is Suppressed: every figure is 0. Counts of
// anonymous responses and of actions from 1 to MinCell-1 are withheld (0) on their own too.
type FeedbackFigures struct {
	Responses           int     `json:"responses"`
	Anonymous           int     `json:"anonymous"`
	MeanRating          float64 `json:"mean_rating"` // 0 when there are no responses
	Satisfied           float64 `json:"satisfied"`   // share rated 4 or 5, 0..1
	Actions             int     `json:"actions"`     // responses the site recorded an action on
	Suppressed          bool    `json:"suppressed"`
	AnonymousSuppressed bool    `json:"anonymous_suppressed"`
	ActionsSuppressed   bool    `json:"actions_suppressed"`
	ratingSum           int64
	satisfied           int64
}

func (f *FeedbackFigures) add(o FeedbackFigures) {
	f.Responses += o.Responses
	f.Anonymous += o.Anonymous
	f.Actions += o.Actions
	f.ratingSum += o.ratingSum
	f.satisfied += o.satisfied
	f.finish()
}

func (f *FeedbackFigures) finish() {
	if f.Responses == 0 {
		f.MeanRating, f.Satisfied = 0, 0
		return
	}
	f.MeanRating = float64(f.ratingSum) / float64(f.Responses)
	f.Satisfied = float64(f.satisfied) / float64(f.Responses)
}

// TypeFeedback is the responses on one service type; Suppressed (Responses and MeanRating 0)
// as FeedbackFigures are.
type TypeFeedback struct {
	Type       string  `json:"type"`
	Responses  int     `json:"responses"`
	MeanRating float64 `json:"mean_rating"`
	Suppressed bool    `json:"suppressed"`
}

// SiteFeedback is one site's responses.
type SiteFeedback struct {
	SiteID     int64  `json:"site_id"`
	SiteCode   string `json:"site_code"`
	SiteNameZH string `json:"site_name_zh"`
	SiteNameEN string `json:"site_name_en"`
	FeedbackFigures
	ByType []TypeFeedback `json:"by_type"` // in the order of ServiceTypes
}

// SiteName is the site's name in lang.
func (f SiteFeedback) SiteName(lang string) string { return pick(lang, f.SiteNameZH, f.SiteNameEN) }

// FeedbackReport summarises the responses given in a unit's subtree over a range of dates.
type FeedbackReport struct {
	UnitID int64           `json:"unit_id"`
	From   string          `json:"from,omitempty"` // YYYY-MM-DD, inclusive; blank: from the start
	To     string          `json:"to,omitempty"`   // YYYY-MM-DD, inclusive; blank: to the end
	Sites  []SiteFeedback  `json:"sites"`          // sites with responses, by code
	Total  FeedbackFigures `json:"total"`
	ByType []TypeFeedback  `json:"by_type"`
	Latest []Feedback      `json:"latest"` // the latest responses with a comment, at most 10
	// Suppressed: some figure is withheld from the viewer (see FeedbackFigures).
	Suppressed bool `json:"suppressed"`
	// CommentsWithheld: the comments exist but are not the viewer's to read. A comment is what
	// a person wrote about their own case, free text that may name them or their family, so
	// only those who may open the cards (Exact) read it; donors, evaluators, committee members
	// and agencies get the figures.
	CommentsWithheld bool `json:"comments_withheld,omitempty"`
}

// FeedbackSummary summarises the responses given at the sites of a unit's subtree from..to
// (dates YYYY-MM-DD or months YYYY-MM, inclusive; either may be blank). To an actor who may not
// see counts exactly (Exact) small counts are withheld (withholdFeedback), and so is every
// comment (CommentsWithheld).
func (s *Service) FeedbackSummary(ctx context.Context, a access.Actor, unitID int64, from, to string) (FeedbackReport, error) {
	if err := a.Require(access.ViewReach); err != nil {
		return FeedbackReport{}, err
	}
	from, to, err := dateRange(from, to)
	if err != nil {
		return FeedbackReport{}, err
	}
	path, err := scopedUnit(ctx, s.db.R, a, unitID)
	if err != nil {
		return FeedbackReport{}, err
	}
	out := FeedbackReport{UnitID: unitID, From: from, To: to}
	cond, args := `u.path LIKE $1`, []any{path + "%"}
	if from != "" {
		args = append(args, from)
		cond += ` AND f.given_on >= $` + strconv.Itoa(len(args))
	}
	if to != "" {
		args = append(args, to)
		cond += ` AND f.given_on <= $` + strconv.Itoa(len(args))
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT f.site_id, u.code, u.name_zh, u.name_en, f.service_type, COUNT(*),
			SUM(CASE WHEN f.card_id IS NULL THEN 1 ELSE 0 END), SUM(f.rating), SUM(CASE WHEN f.rating >= 4 THEN 1 ELSE 0 END),
			SUM(CASE WHEN f.action <> '' THEN 1 ELSE 0 END)
		FROM feedback f JOIN org_units u ON u.id = f.site_id WHERE `+cond+`
		GROUP BY f.site_id, u.code, u.name_zh, u.name_en, f.service_type`, args...)
	if err != nil {
		return FeedbackReport{}, err
	}
	defer rows.Close()
	sites := map[int64]*SiteFeedback{}
	byType := map[int64]map[string]*FeedbackFigures{}
	all := map[string]*FeedbackFigures{}
	for rows.Next() {
		var sf SiteFeedback
		var typ string
		var n, anon, sum, sat, act int64
		if err := rows.Scan(&sf.SiteID, &sf.SiteCode, &sf.SiteNameZH, &sf.SiteNameEN, &typ, &n, &anon, &sum, &sat, &act); err != nil {
			return FeedbackReport{}, err
		}
		fig := FeedbackFigures{Responses: int(n), Anonymous: int(anon), Actions: int(act), ratingSum: sum, satisfied: sat}
		site := sites[sf.SiteID]
		if site == nil {
			site = &sf
			sites[sf.SiteID] = site
			byType[sf.SiteID] = map[string]*FeedbackFigures{}
		}
		site.add(fig)
		out.Total.add(fig)
		for _, m := range []map[string]*FeedbackFigures{byType[sf.SiteID], all} {
			if m[typ] == nil {
				m[typ] = &FeedbackFigures{}
			}
			m[typ].add(fig)
		}
	}
	if err := rows.Err(); err != nil {
		return FeedbackReport{}, err
	}
	rows.Close()
	for id, site := range sites {
		site.ByType = typeFigures(byType[id])
		out.Sites = append(out.Sites, *site)
	}
	slices.SortFunc(out.Sites, func(x, y SiteFeedback) int { return strings.Compare(x.SiteCode, y.SiteCode) })
	out.ByType = typeFigures(all)
	if !Exact(a) {
		withholdFeedback(&out)
		err := s.db.R.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1`+feedbackFrom+` WHERE `+cond+` AND f.comment <> '')`, args...).
			Scan(&out.CommentsWithheld)
		return out, err
	}
	out.Latest, err = s.feedbackRows(ctx, s.db.R, a, cond+` AND f.comment <> ''`, args, 10)
	return out, err
}

// withholdFeedback withholds, as SuppressGrid does a reach table's, the small counts of a
// summary from a viewer who may not see counts exactly. The responses by site and service type
// are a table whose first row is the whole; every count from 1 to MinCell-1 is hidden, and the
// next smallest wherever one alone would be. A site (or the whole) whose responses are hidden
// keeps no figure: its mean and share satisfied would tell about one or two persons. The
// counts of anonymous responses and of actions are hidden the same way, over the sites.
func withholdFeedback(rep *FeedbackReport) {
	grid := []ReachRow{{Total: ReachCell{People: int64(rep.Total.Responses)}, Cells: []ReachCell{}}}
	for _, t := range rep.ByType {
		grid[0].Cells = append(grid[0].Cells, ReachCell{Key: t.Type, People: int64(t.Responses)})
	}
	for _, site := range rep.Sites {
		row := ReachRow{Total: ReachCell{People: int64(site.Responses)}}
		for _, t := range rep.ByType {
			c := ReachCell{Key: t.Type}
			if i := slices.IndexFunc(site.ByType, func(x TypeFeedback) bool { return x.Type == t.Type }); i >= 0 {
				c.People = int64(site.ByType[i].Responses)
			}
			row.Cells = append(row.Cells, c)
		}
		grid = append(grid, row)
	}
	SuppressGrid(grid)
	figs := []*FeedbackFigures{&rep.Total}
	types := [][]TypeFeedback{rep.ByType}
	for i := range rep.Sites {
		figs = append(figs, &rep.Sites[i].FeedbackFigures)
		types = append(types, rep.Sites[i].ByType)
	}
	// The counts of anonymous responses and of actions: the whole's over the sites'. Those of
	// a set whose responses are hidden are hidden with them.
	anon, acts := make([]ReachRow, len(figs)), make([]ReachRow, len(figs))
	for i, f := range figs {
		hidden := grid[i].Total.Suppressed
		anon[i].Total = ReachCell{People: int64(f.Anonymous), Suppressed: hidden}
		acts[i].Total = ReachCell{People: int64(f.Actions), Suppressed: hidden}
		if hidden {
			anon[i].Total.People, acts[i].Total.People = 0, 0
		}
	}
	SuppressGrid(anon)
	SuppressGrid(acts)
	for i, f := range figs {
		if grid[i].Total.Suppressed {
			*f = FeedbackFigures{Suppressed: true}
		}
		f.Anonymous, f.AnonymousSuppressed = int(anon[i].Total.People), anon[i].Total.Suppressed
		f.Actions, f.ActionsSuppressed = int(acts[i].Total.People), acts[i].Total.Suppressed
		rep.Suppressed = rep.Suppressed || f.Suppressed || f.AnonymousSuppressed || f.ActionsSuppressed
		for j := range types[i] {
			t := &types[i][j]
			k := slices.IndexFunc(grid[i].Cells, func(c ReachCell) bool { return c.Key == t.Type })
			if k >= 0 && grid[i].Cells[k].Suppressed {
				*t = TypeFeedback{Type: t.Type, Suppressed: true}
				rep.Suppressed = true
			}
		}
	}
}

// typeFigures orders per-type figures as ServiceTypes, then any other stored type.
func typeFigures(m map[string]*FeedbackFigures) []TypeFeedback {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y string) int {
		ix, iy := slices.Index(ServiceTypes, x), slices.Index(ServiceTypes, y)
		if ix < 0 {
			ix = len(ServiceTypes)
		}
		if iy < 0 {
			iy = len(ServiceTypes)
		}
		if ix != iy {
			return ix - iy
		}
		return strings.Compare(x, y)
	})
	out := make([]TypeFeedback, len(keys))
	for i, k := range keys {
		out[i] = TypeFeedback{Type: k, Responses: m[k].Responses, MeanRating: m[k].MeanRating}
	}
	return out
}

// dateRange validates an optional range of dates; a month stands for its first day as the
// start and its last as the end.
func dateRange(from, to string) (string, string, error) {
	var es valid.Errors
	norm := func(field, v, day string) string {
		v = strings.TrimSpace(v)
		if v == "" {
			return ""
		}
		if _, err := time.Parse("2006-01", v); err == nil {
			if day == "" {
				t, _ := time.Parse("2006-01", v)
				return t.AddDate(0, 1, -1).Format(time.DateOnly)
			}
			return v + day
		}
		if _, err := time.Parse(time.DateOnly, v); err != nil {
			es.Add(field, "date")
		}
		return v
	}
	from, to = norm("from", from, "-01"), norm("to", to, "")
	if len(es) == 0 && from != "" && to != "" && to < from {
		es.Add("to", "not_before", from)
	}
	return from, to, es.Err()
}

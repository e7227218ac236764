package beneficiaries

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Consent is one purpose a person (or their guardian) agreed to.
type Consent struct {
	ID          int64  `json:"id"`
	CardID      int64  `json:"card_id"`
	Purpose     string `json:"purpose"`
	GivenBy     string `json:"given_by"`
	GivenOn     string `json:"given_on"`
	WithdrawnOn string `json:"withdrawn_on,omitempty"`
	RecordedBy  string `json:"recorded_by"`
}

// Active reports whether the consent holds on a date.
func (c Consent) Active(on string) bool {
	return c.GivenOn <= on && (c.WithdrawnOn == "" || c.WithdrawnOn > on)
}

func (s *Service) addConsent(ctx context.Context, tx *sql.Tx, a access.Actor, cardID int64, number string, in ConsentInput) (int64, error) {
	var giver []byte
	if strings.TrimSpace(in.Giver) != "" {
		var err error
		if giver, err = s.keys.Seal("giver", []byte(strings.TrimSpace(in.Giver)), "card:"+number); err != nil {
			return 0, err
		}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO card_consents (card_id, purpose, given_by, giver_sealed, given_on, withdrawn_on, recorded_by, created_at)
		VALUES ($1, $2, $3, $4, $5, '', $6, $7) RETURNING id`, cardID, in.Purpose, in.GivenBy, giver, in.GivenOn, a.PublicID, store.Now()).Scan(&id)
	return id, err
}

// AddConsent records consent given for a card.
func (s *Service) AddConsent(ctx context.Context, a access.Actor, cardID int64, in ConsentInput) (Consent, error) {
	if err := a.Require(access.EditCards); err != nil {
		return Consent{}, err
	}
	if s.keys == nil {
		return Consent{}, ErrNoKey
	}
	var out Consent
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.card(ctx, tx, a, cardID)
		if err != nil {
			return err
		}
		if err := requireOwn(a, c); err != nil {
			return err
		}
		if c.Anonymised != "" || c.MergedInto != 0 {
			return valid.New("card", "anonymised")
		}
		if err := CheckConsent(in, c.birth, s.today()).Err(); err != nil {
			return err
		}
		id, err := s.addConsent(ctx, tx, a, cardID, c.Number, in)
		if err != nil {
			return err
		}
		out = Consent{ID: id, CardID: cardID, Purpose: in.Purpose, GivenBy: in.GivenBy, GivenOn: in.GivenOn, RecordedBy: a.PublicID}
		return audit.Record(ctx, tx, a, "consent", "card", cardID, c.SiteID, nil, out)
	})
	return out, err
}

// WithdrawConsent ends a consent from a date on.
func (s *Service) WithdrawConsent(ctx context.Context, a access.Actor, cardID, consentID int64, on string) error {
	if err := a.Require(access.EditCards); err != nil {
		return err
	}
	var es valid.Errors
	if es.Required("withdrawn_on", on) && es.Date("withdrawn_on", on) && on > s.today() {
		es.Add("withdrawn_on", "not_future", s.today())
	}
	if err := es.Err(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.card(ctx, tx, a, cardID)
		if err != nil {
			return err
		}
		if err := requireOwn(a, c); err != nil {
			return err
		}
		var given, was string
		err = tx.QueryRowContext(ctx, `SELECT given_on, withdrawn_on FROM card_consents WHERE id = $1 AND card_id = $2`, consentID, cardID).Scan(&given, &was)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("consent %d: %w", consentID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if was != "" {
			return valid.New("withdrawn_on", "already_withdrawn", was)
		}
		if on < given {
			return valid.New("withdrawn_on", "after_given", given)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE card_consents SET withdrawn_on = $1 WHERE id = $2`, on, consentID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "withdraw_consent", "card", cardID, c.SiteID, map[string]any{"consent": consentID}, map[string]any{"withdrawn_on": on})
	})
}

// Consents lists a card's consents.
func (s *Service) Consents(ctx context.Context, a access.Actor, cardID int64) ([]Consent, error) {
	if _, err := s.Card(ctx, a, cardID); err != nil {
		return nil, err
	}
	return consentsOf(ctx, s.db.R, cardID)
}

func consentsOf(ctx context.Context, q store.Queryer, cardID int64) ([]Consent, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, card_id, purpose, given_by, given_on, withdrawn_on, recorded_by FROM card_consents WHERE card_id = $1 ORDER BY given_on, id`, cardID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		var c Consent
		if err := rows.Scan(&c.ID, &c.CardID, &c.Purpose, &c.GivenBy, &c.GivenOn, &c.WithdrawnOn, &c.RecordedBy); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// consented reports whether a card has active consent for a purpose on a date.
func consented(ctx context.Context, q store.Queryer, cardID int64, purpose, on string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM card_consents WHERE card_id = $1 AND purpose = $2 AND given_on <= $3 AND (withdrawn_on = '' OR withdrawn_on > $3)`,
		cardID, purpose, on).Scan(&n)
	return n > 0, err
}

// Service is one service given.
type ServiceRecord struct {
	ID         int64  `json:"id"`
	CardID     int64  `json:"card_id"`
	Card       string `json:"card"`
	SiteID     int64  `json:"site_id"`
	SiteNameZH string `json:"site_name_zh"`
	SiteNameEN string `json:"site_name_en"`
	Type       string `json:"type"`
	Date       string `json:"date"`
	Provider   string `json:"provider"`
	// The partner agency that gave the service, if one did.
	PartnerID     int64  `json:"partner_id,omitempty"`
	PartnerNameZH string `json:"partner_name_zh,omitempty"`
	PartnerNameEN string `json:"partner_name_en,omitempty"`
	SessionID     int64  `json:"session_id,omitempty"`
	Note          string `json:"note"`
}

// SiteName is the site's name in lang.
func (r ServiceRecord) SiteName(lang string) string { return pick(lang, r.SiteNameZH, r.SiteNameEN) }

// GivenBy says who gave the service in lang: the partner agency by its name in lang, then the
// provider as written, unless it only repeats the agency's name in either language.
func (r ServiceRecord) GivenBy(lang string) string {
	agency := pick(lang, r.PartnerNameZH, r.PartnerNameEN)
	switch p := strings.TrimSpace(r.Provider); {
	case agency == "":
		return p
	case p == "" || p == r.PartnerNameZH || p == r.PartnerNameEN:
		return agency
	default:
		return agency + " · " + p
	}
}

// AddService records one service to one card.
func (s *Service) AddService(ctx context.Context, a access.Actor, in ServiceInput) (ServiceRecord, error) {
	ids, err := s.AddServices(ctx, a, []ServiceInput{in}, 0)
	if err != nil {
		if es, ok := valid.As(err); ok {
			for i := range es {
				es[i].Row = 0
			}
			return ServiceRecord{}, es
		}
		return ServiceRecord{}, err
	}
	return s.serviceByID(ctx, s.db.R, ids[0])
}

// AddServices records services all or nothing: every row is checked first and every failure is
// reported with its row; nothing is written unless all pass. The reach bitmaps take the batch
// in the same transaction. session links them to a class session (0: none).
func (s *Service) AddServices(ctx context.Context, a access.Actor, ins []ServiceInput, session int64) ([]int64, error) {
	if err := a.Require(access.EditCards); err != nil {
		return nil, err
	}
	today := s.today()
	var ids []int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		ids, err = s.addServicesTx(ctx, tx, a, ins, session, today)
		return err
	})
	return ids, err
}

// cardRef is what a service write needs of its card.
type cardRef struct {
	id     int64
	number string
	birth  string
	active string
	dead   bool
}

// DeferAt is the size of a batch of services from which the reach bitmaps take it later, from
// the change sequence (analytics.Defer, folded by the server in the background), rather than in
// the write's transaction. Counts are exact either way; a large import is many times faster.
const DeferAt = 1000

// inChunks calls fn with the values in chunks of at most 500, and $1.. placeholders for them
// (run the statement through Dialect.Bind).
func inChunks[T any](vals []T, fn func(ph string, args []any) error) error {
	for len(vals) > 0 {
		chunk := vals[:min(len(vals), 500)]
		vals = vals[len(chunk):]
		ph := make([]string, len(chunk))
		args := make([]any, len(chunk), len(chunk)+1)
		for i, v := range chunk {
			ph[i], args[i] = "$"+strconv.Itoa(i+1), v
		}
		if err := fn(strings.Join(ph, ","), args); err != nil {
			return err
		}
	}
	return nil
}

// sitesIn reads which of the sites lie in the actor's scope, in one query per 500.
func sitesIn(ctx context.Context, q store.Queryer, d store.Dialect, a access.Actor, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	err := inChunks(ids, func(ph string, args []any) error {
		rows, err := q.QueryContext(ctx, d.Bind(`SELECT id, path FROM org_units WHERE id IN (`+ph+`)`), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var path string
			if err := rows.Scan(&id, &path); err != nil {
				return err
			}
			out[id] = a.Sees(path)
		}
		return rows.Err()
	})
	return out, err
}

// cardRefs reads the cards in scope named by id ("#12") or number, in one query per 500 of
// each; a key absent from the result is not found (or out of scope, which reads the same).
func cardRefs(ctx context.Context, q store.Queryer, d store.Dialect, a access.Actor, keys []string) (map[string]*cardRef, error) {
	var ids []int64
	var numbers []string
	for _, k := range keys {
		if id, ok := strings.CutPrefix(k, "#"); ok {
			n, _ := strconv.ParseInt(id, 10, 64)
			ids = append(ids, n)
		} else {
			numbers = append(numbers, k)
		}
	}
	// In order, so that two writers lock the cards they share in the same order.
	slices.Sort(ids)
	slices.Sort(numbers)
	out := map[string]*cardRef{}
	read := func(col string) func(ph string, args []any) error {
		return func(ph string, args []any) error {
			args = append(args, a.PathPattern())
			// Locked (PostgreSQL) until the write commits, as the write will update the cards'
			// last activity anyway: a merge or retention that takes a card waits for the write,
			// and a write that comes after one sees the card merged or anonymised. Two writes
			// sharing a card take turns (in key order, so neither waits on the other twice).
			rows, err := q.QueryContext(ctx, d.Bind(`SELECT c.id, c.number, c.birth_date, c.last_active, COALESCE(c.merged_into, 0), c.anonymised_on FROM cards c
				WHERE c.`+col+` IN (`+ph+`) AND `+inScope(len(args))+` ORDER BY c.`+col+lockRows(d, "NO KEY UPDATE", "c")), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var r cardRef
				var merged int64
				var anonymised string
				if err := rows.Scan(&r.id, &r.number, &r.birth, &r.active, &merged, &anonymised); err != nil {
					return err
				}
				r.dead = merged != 0 || anonymised != ""
				if col == "id" {
					out["#"+strconv.FormatInt(r.id, 10)] = &r
				} else {
					out[r.number] = &r
				}
			}
			return rows.Err()
		}
	}
	if err := inChunks(ids, read("id")); err != nil {
		return nil, err
	}
	return out, inChunks(numbers, read("number"))
}

func (s *Service) addServicesTx(ctx context.Context, tx *sql.Tx, a access.Actor, ins []ServiceInput, session int64, today string) ([]int64, error) {
	byID, err := s.checkServices(ctx, tx, a, ins, today)
	if err != nil {
		return nil, err
	}
	return s.writeServices(ctx, tx, a, ins, session, byID)
}

// writeServices writes services checkServices passed (CardID set, byID its cards): the rows,
// their cards' last activity, their reach (now, or through the change sequence for a large
// batch or while a fold holds the bitmaps) and an audit row.
func (s *Service) writeServices(ctx context.Context, tx *sql.Tx, a access.Actor, ins []ServiceInput, session int64, byID map[int64]*cardRef) ([]int64, error) {
	ids, err := s.insertServices(ctx, tx, a, ins, session)
	if err != nil {
		return nil, err
	}
	if err := s.touchCards(ctx, tx, ins, byID); err != nil {
		return nil, err
	}
	if len(ins) >= s.deferAt() {
		err = analytics.Defer(ctx, tx, s.db.Dialect, ids)
	} else {
		served := make([]analytics.Served, len(ins))
		for i, in := range ins {
			served[i] = analytics.Served{Card: in.CardID, Unit: in.SiteID, Date: in.Date, Type: in.Type}
		}
		err = analytics.AddOrDefer(ctx, tx, s.db.Dialect, served, ids)
	}
	if err != nil {
		return nil, err
	}
	return ids, audit.Record(ctx, tx, a, "create", "services", 0, ins[0].SiteID, nil, map[string]any{"services": len(ins), "session": session})
}

// checkServices checks every service of a batch, reporting each failure with its row (the
// index + 1) as a valid.Errors, and resolves each one's card: it sets CardID and returns the
// cards by id. It writes nothing.
func (s *Service) checkServices(ctx context.Context, tx *sql.Tx, a access.Actor, ins []ServiceInput, today string) (map[int64]*cardRef, error) {
	if err := a.Require(access.ViewCards); err != nil {
		return nil, err
	}
	var es valid.Errors
	var siteIDs []int64
	keys := make([]string, len(ins))
	var cardKeys []string
	seen := map[string]bool{}
	for i, in := range ins {
		for _, e := range CheckService(in, today) {
			e.Row = i + 1
			es = append(es, e)
		}
		if in.SiteID != 0 {
			siteIDs = append(siteIDs, in.SiteID)
		}
		keys[i] = strings.ToUpper(strings.TrimSpace(in.Card))
		if in.CardID != 0 {
			keys[i] = "#" + strconv.FormatInt(in.CardID, 10)
		}
		if keys[i] != "" && !seen[keys[i]] {
			seen[keys[i]] = true
			cardKeys = append(cardKeys, keys[i])
		}
	}
	sites, err := sitesIn(ctx, tx, s.db.Dialect, a, slices.Compact(slices.Sorted(slices.Values(siteIDs))))
	if err != nil {
		return nil, err
	}
	cards, err := cardRefs(ctx, tx, s.db.Dialect, a, cardKeys)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*cardRef{}
	for i, in := range ins {
		if in.SiteID != 0 && !sites[in.SiteID] {
			es = append(es, valid.FieldError{Row: i + 1, Field: "site_id", Rule: "not_in_scope"})
		}
		ref := cards[keys[i]]
		switch {
		case keys[i] == "":
			es = append(es, valid.FieldError{Row: i + 1, Field: "card", Rule: "required"})
		case ref == nil:
			es = append(es, valid.FieldError{Row: i + 1, Field: "card", Rule: "not_found", Param: strings.TrimPrefix(keys[i], "#")})
		case ref.dead:
			es = append(es, valid.FieldError{Row: i + 1, Field: "card", Rule: "anonymised", Param: ref.number})
		case len(ref.birth) == 10 && in.Date != "" && in.Date < ref.birth:
			es = append(es, valid.FieldError{Row: i + 1, Field: "date", Rule: "before_birth"})
		default:
			byID[ref.id] = ref
			ins[i].CardID = ref.id
		}
	}
	return byID, es.Err()
}

// insertServices writes checked services and returns their ids. PostgreSQL takes each column
// as one array parameter, up to 20,000 rows a statement (one statement text, prepared once);
// SQLite, in-process, takes multi-row VALUES sized by Dialect.Rows.
func (s *Service) insertServices(ctx context.Context, tx *sql.Tx, a access.Actor, ins []ServiceInput, session int64) ([]int64, error) {
	now := store.Now()
	ids := make([]int64, 0, len(ins))
	collect := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	}
	const cols = `INSERT INTO services (card_id, site_id, type, served_on, provider, partner_id, session_id, note, created_by, created_at) `
	if s.db.Dialect == store.Postgres {
		for start := 0; start < len(ins); start += 20_000 {
			chunk := ins[start:min(len(ins), start+20_000)]
			cards, sites, partners := make([]int64, len(chunk)), make([]int64, len(chunk)), make([]int64, len(chunk))
			types, dates, providers, notes := make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk))
			for i, in := range chunk {
				cards[i], sites[i], partners[i] = in.CardID, in.SiteID, in.PartnerID
				types[i], dates[i], providers[i], notes[i] = in.Type, in.Date, strings.TrimSpace(in.Provider), strings.TrimSpace(in.Note)
			}
			err := collect(tx.QueryContext(ctx, cols+`SELECT v.card, v.site, v.type, v.day, v.provider, NULLIF(v.partner, 0), NULLIF($8, 0), v.note, $9, $10
				FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS v(card, site, type, day, provider, partner, note)
				RETURNING id`, cards, sites, types, dates, providers, partners, notes, session, a.PublicID, now))
			if err != nil {
				return nil, err
			}
		}
		return ids, nil
	}
	batch := s.db.Dialect.Rows(10)
	for start := 0; start < len(ins); start += batch {
		chunk := ins[start:min(len(ins), start+batch)]
		var sb strings.Builder
		sb.WriteString(cols + `VALUES `)
		args := make([]any, 0, len(chunk)*10)
		for i, in := range chunk {
			if i > 0 {
				sb.WriteString(",")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
			args = append(args, in.CardID, in.SiteID, in.Type, in.Date, strings.TrimSpace(in.Provider), nullID(in.PartnerID), nullID(session), strings.TrimSpace(in.Note), a.PublicID, now)
		}
		sb.WriteString(" RETURNING id")
		if err := collect(tx.QueryContext(ctx, s.db.Dialect.Bind(sb.String()), args...)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// touchCards moves each card's last activity to its latest new service, many cards per
// statement.
func (s *Service) touchCards(ctx context.Context, tx *sql.Tx, ins []ServiceInput, byID map[int64]*cardRef) error {
	latest := map[int64]string{}
	for _, in := range ins {
		if in.Date > latest[in.CardID] && in.Date > byID[in.CardID].active {
			latest[in.CardID] = in.Date
		}
	}
	type touch struct {
		id   int64
		date string
	}
	list := make([]touch, 0, len(latest))
	for id, d := range latest {
		list = append(list, touch{id, d})
	}
	slices.SortFunc(list, func(x, y touch) int { return cmp.Compare(x.id, y.id) })
	if s.db.Dialect == store.Postgres {
		ids, dates := make([]int64, len(list)), make([]string, len(list))
		for i, t := range list {
			ids[i], dates[i] = t.id, t.date
		}
		_, err := tx.ExecContext(ctx, `UPDATE cards SET last_active = v.day FROM unnest($1::bigint[], $2::text[]) AS v(id, day)
			WHERE cards.id = v.id AND cards.last_active < v.day`, ids, dates)
		return err
	}
	for len(list) > 0 {
		chunk := list[:min(len(list), s.db.Dialect.Rows(2))]
		list = list[len(chunk):]
		vals := make([]string, len(chunk))
		args := make([]any, 0, 2*len(chunk))
		for i, t := range chunk {
			vals[i] = fmt.Sprintf("(CAST($%d AS BIGINT), CAST($%d AS TEXT))", 2*i+1, 2*i+2)
			args = append(args, t.id, t.date)
		}
		if _, err := tx.ExecContext(ctx, s.db.Dialect.Bind(`UPDATE cards SET last_active = v.column2 FROM (VALUES `+strings.Join(vals, ",")+`) AS v
			WHERE cards.id = v.column1 AND cards.last_active < v.column2`), args...); err != nil {
			return err
		}
	}
	return nil
}

// SessionInput is a class session entered from its attendance list: one service per attendee.
type SessionInput struct {
	SiteID    int64    `json:"site_id"`
	Type      string   `json:"type"`
	Date      string   `json:"date"`
	Title     string   `json:"title"`
	Provider  string   `json:"provider"`
	Attendees []string `json:"attendees"` // card numbers
}

// Session is a stored class session.
type Session struct {
	ID        int64  `json:"id"`
	SiteID    int64  `json:"site_id"`
	Type      string `json:"type"`
	Date      string `json:"date"`
	Title     string `json:"title"`
	Provider  string `json:"provider"`
	Attendees int    `json:"attendees"`
}

// AddSession records a session and its attendees' services, all or nothing; a card number
// listed twice counts once.
func (s *Service) AddSession(ctx context.Context, a access.Actor, in SessionInput) (Session, error) {
	if err := a.Require(access.EditCards); err != nil {
		return Session{}, err
	}
	var es valid.Errors
	es.Required("title", in.Title)
	es.MaxLen("title", in.Title, 200)
	seen := map[string]bool{}
	var list []string
	for _, n := range in.Attendees {
		n = strings.ToUpper(strings.TrimSpace(n))
		if n != "" && !seen[n] {
			seen[n] = true
			list = append(list, n)
		}
	}
	if len(list) == 0 {
		es.Add("attendees", "required")
	}
	for _, e := range CheckService(ServiceInput{SiteID: in.SiteID, Type: in.Type, Date: in.Date, Provider: in.Provider}, s.today()) {
		es = append(es, e)
	}
	if err := es.Err(); err != nil {
		return Session{}, err
	}
	out := Session{SiteID: in.SiteID, Type: in.Type, Date: in.Date, Title: strings.TrimSpace(in.Title), Provider: strings.TrimSpace(in.Provider), Attendees: len(list)}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := unitPath(ctx, tx, a, in.SiteID, "site_id"); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO service_sessions (site_id, type, held_on, title, provider, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			in.SiteID, in.Type, in.Date, out.Title, out.Provider, a.PublicID, store.Now()).Scan(&out.ID); err != nil {
			return err
		}
		ins := make([]ServiceInput, len(list))
		for i, n := range list {
			ins[i] = ServiceInput{Card: n, SiteID: in.SiteID, Type: in.Type, Date: in.Date, Provider: out.Provider, Note: out.Title}
		}
		if _, err := s.addServicesTx(ctx, tx, a, ins, out.ID, s.today()); err != nil {
			if ve, ok := valid.As(err); ok {
				for i := range ve {
					ve[i].Field = "attendees"
				}
				return ve
			}
			return err
		}
		return nil
	})
	return out, err
}

const serviceCols = `s.id, s.card_id, c.number, s.site_id, u.name_zh, u.name_en, s.type, s.served_on, s.provider,
	COALESCE(s.partner_id, 0), COALESCE(p.name_zh, ''), COALESCE(p.name_en, ''), COALESCE(s.session_id, 0), s.note`
const serviceFrom = ` FROM services s JOIN cards c ON c.id = s.card_id JOIN org_units u ON u.id = s.site_id LEFT JOIN partners p ON p.id = s.partner_id`

func scanService(sc interface{ Scan(...any) error }) (ServiceRecord, error) {
	var r ServiceRecord
	err := sc.Scan(&r.ID, &r.CardID, &r.Card, &r.SiteID, &r.SiteNameZH, &r.SiteNameEN, &r.Type, &r.Date, &r.Provider, &r.PartnerID, &r.PartnerNameZH, &r.PartnerNameEN,
		&r.SessionID, &r.Note)
	return r, err
}

func (s *Service) serviceByID(ctx context.Context, q store.Queryer, id int64) (ServiceRecord, error) {
	return scanService(q.QueryRowContext(ctx, `SELECT `+serviceCols+serviceFrom+` WHERE s.id = $1`, id))
}

// Services lists a card's services, latest first.
func (s *Service) Services(ctx context.Context, a access.Actor, cardID int64) ([]ServiceRecord, error) {
	if _, err := s.Card(ctx, a, cardID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+serviceCols+serviceFrom+` WHERE s.card_id = $1 ORDER BY s.served_on DESC, s.id DESC`, cardID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ServiceRecord
	for rows.Next() {
		r, err := scanService(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteService removes a service entered in error; the person leaves the reach of the periods
// and units where it was their only service.
func (s *Service) DeleteService(ctx context.Context, a access.Actor, id int64) error {
	if err := a.Require(access.EditCards); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.serviceByID(ctx, tx, id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("service %d: %w", id, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := s.card(ctx, tx, a, r.CardID); err != nil {
			return err
		}
		if _, err := unitPath(ctx, tx, a, r.SiteID, "site_id"); err != nil {
			return fmt.Errorf("service %d: %w", id, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM services WHERE id = $1`, id); err != nil {
			return err
		}
		if err := analytics.Refresh(ctx, tx, s.db.Dialect, []analytics.Served{{Card: r.CardID, Unit: r.SiteID, Date: r.Date, Type: r.Type}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "delete", "service", id, r.SiteID, r, nil)
	})
}

// ReachQuery asks how many distinct people a unit's subtree served.
type ReachQuery struct {
	UnitID int64
	From   string // YYYY-MM
	To     string // YYYY-MM
	analytics.Filter
}

// Reach is the exact number of distinct people served, from the bitmaps.
func (s *Service) Reach(ctx context.Context, a access.Actor, q ReachQuery) (int64, error) {
	if err := a.Require(access.ViewReach); err != nil {
		return 0, err
	}
	var path string
	err := s.db.R.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, q.UnitID).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(path) {
		return 0, fmt.Errorf("unit %d: %w", q.UnitID, store.ErrNotFound)
	}
	if err != nil {
		return 0, err
	}
	if err := CheckSpan(q.From, q.To); err != nil {
		return 0, err
	}
	return analytics.Count(ctx, s.db.R, analytics.Unit{ID: q.UnitID, Path: path}, analytics.Span{From: q.From, To: q.To}, q.Filter)
}

// CheckSpan validates a range of months.
func CheckSpan(from, to string) error {
	var es valid.Errors
	for _, f := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if _, err := time.Parse("2006-01", f.v); err != nil {
			es.Add(f.name, "month")
		}
	}
	if len(es) == 0 && from > to {
		es.Add("to", "after_from")
	}
	return es.Err()
}

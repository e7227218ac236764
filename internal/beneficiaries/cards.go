package beneficiaries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/analytics"
	"ting/internal/audit"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/valid"
)

// ErrNoKey means no encryption key is configured, so no protected field can be written or read.
var ErrNoKey = errors.New("no personal-data key is configured (TING_KEYS or --keys)")

// Service stores cards and everything done with them.
type Service struct {
	db        *store.DB
	keys      *seal.Keyring
	today     func() string
	deferFrom int // batch size from which services are folded into the reach bitmaps later; 0: DeferAt
}

// New returns the service over db; keys seal and open the protected fields (nil: none can be).
func New(db *store.DB, keys *seal.Keyring) *Service {
	return &Service{db: db, keys: keys, today: func() string { return time.Now().UTC().Format(time.DateOnly) }}
}

// SetToday fixes the date the service treats as today (tests, the demo's "as of").
func (s *Service) SetToday(f func() string) { s.today = f }

// SetDeferAt changes the batch size from which services go to the change sequence (tests).
func (s *Service) SetDeferAt(n int) { s.deferFrom = n }

func (s *Service) deferAt() int {
	if s.deferFrom > 0 {
		return s.deferFrom
	}
	return DeferAt
}

// DB is the database the service writes.
func (s *Service) DB() *store.DB { return s.db }

// Card is what anyone allowed to see a card sees: no protected field, the birth year only.
type Card struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number"`
	SiteID       int64     `json:"site_id"`
	SiteCode     string    `json:"site_code"`
	SiteNameZH   string    `json:"site_name_zh"`
	SiteNameEN   string    `json:"site_name_en"`
	Sex          string    `json:"sex"`
	BirthYear    int       `json:"birth_year"`
	Ethnicity    string    `json:"ethnicity"`
	Groups       []string  `json:"groups"`
	HomeUnitID   int64     `json:"home_unit_id,omitempty"`
	HomeNameZH   string    `json:"home_name_zh,omitempty"`
	HomeNameEN   string    `json:"home_name_en,omitempty"`
	CurrentID    int64     `json:"current_unit_id,omitempty"`
	CurrentZH    string    `json:"current_name_zh,omitempty"`
	CurrentEN    string    `json:"current_name_en,omitempty"`
	Status       string    `json:"status"`
	MergedInto   int64     `json:"merged_into,omitempty"`
	Anonymised   string    `json:"anonymised_on,omitempty"`
	LastActive   string    `json:"last_active"`
	CreatedAt    time.Time `json:"created_at"`
	Identifiable bool      `json:"identifiable"` // the reader may open its protected fields
	Own          bool      `json:"own"`          // one of the reader's sites' own cards, not one referred to them
	birth        string
	sitePath     string
	currentPath  string
}

// own reports whether the card is one of the actor's sites' own (registered at or currently in
// a unit of their subtree), as opposed to one referred to them: only its own sites edit it.
func (c Card) own(a access.Actor) bool {
	return a.Sees(c.sitePath) || c.currentPath != "" && a.Sees(c.currentPath)
}

// requireOwn refuses a change to a card referred to the actor rather than theirs.
func requireOwn(a access.Actor, c Card) error {
	if !c.own(a) {
		return access.ErrForbidden
	}
	return nil
}

// SiteName is the registering site's name in lang.
func (c Card) SiteName(lang string) string { return pick(lang, c.SiteNameZH, c.SiteNameEN) }

// HomeName is the home (sending) unit's name in lang.
func (c Card) HomeName(lang string) string { return pick(lang, c.HomeNameZH, c.HomeNameEN) }

// CurrentName is the current unit's name in lang.
func (c Card) CurrentName(lang string) string { return pick(lang, c.CurrentZH, c.CurrentEN) }

func pick(lang, zh, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	if zh == "" {
		return en
	}
	return zh
}

// Identity is a card's protected fields, opened.
type Identity struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Phone    string `json:"phone"`
	Address  string `json:"address"`
	Guardian string `json:"guardian"`
	Birth    string `json:"birth"`
}

// protected are the sealed columns and the field names they are sealed under.
var protected = []string{"name", "id_number", "phone", "address", "guardian"}

const cardCols = `c.id, c.number, c.site_id, su.code, su.name_zh, su.name_en, su.path, c.sex, c.birth_date, c.birth_year, c.ethnicity, c.groups,
	COALESCE(c.home_unit_id, 0), COALESCE(hu.name_zh, ''), COALESCE(hu.name_en, ''), COALESCE(c.current_unit_id, 0), COALESCE(cu.name_zh, ''), COALESCE(cu.name_en, ''),
	c.status, COALESCE(c.merged_into, 0), c.anonymised_on, c.last_active, c.created_at, COALESCE(cu.path, '')`

const cardFrom = ` FROM cards c JOIN org_units su ON su.id = c.site_id LEFT JOIN org_units hu ON hu.id = c.home_unit_id LEFT JOIN org_units cu ON cu.id = c.current_unit_id`

func scanCard(sc interface{ Scan(...any) error }) (Card, error) {
	var c Card
	var groups string
	err := sc.Scan(&c.ID, &c.Number, &c.SiteID, &c.SiteCode, &c.SiteNameZH, &c.SiteNameEN, &c.sitePath, &c.Sex, &c.birth, &c.BirthYear, &c.Ethnicity, &groups,
		&c.HomeUnitID, &c.HomeNameZH, &c.HomeNameEN, &c.CurrentID, &c.CurrentZH, &c.CurrentEN, &c.Status, &c.MergedInto, &c.Anonymised, &c.LastActive, &c.CreatedAt, &c.currentPath)
	c.Groups = analytics.SplitGroups(groups)
	return c, err
}

// inScope is the condition that a card (alias c) is the actor's: registered at or currently in
// a unit of the actor's subtree, or referred to one (the receiving side of a referral sees the
// card it must serve). $n is the actor's path pattern.
func inScope(n int) string {
	p := "$" + strconv.Itoa(n)
	return `(` + ownCard("c", n) + `
		OR EXISTS (SELECT 1 FROM referrals sr JOIN org_units sru ON sru.id = sr.to_unit_id WHERE sr.card_id = c.id
			AND sr.status IN ('sent', 'accepted', 'completed') AND sru.path LIKE ` + p + `))`
}

// card reads one card the actor may see; out of scope is not found.
func (s *Service) card(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Card, error) {
	if err := a.Require(access.ViewCards); err != nil {
		return Card{}, err
	}
	c, err := scanCard(q.QueryRowContext(ctx, `SELECT `+cardCols+cardFrom+` WHERE c.id = $1 AND `+inScope(2), id, a.PathPattern()))
	if errors.Is(err, sql.ErrNoRows) {
		return Card{}, fmt.Errorf("card %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Card{}, err
	}
	c.Own = c.own(a)
	c.Identifiable = a.Can(access.IdentifyCards) && c.Anonymised == "" && c.MergedInto == 0
	if c.Identifiable && !c.own(a) {
		// The receiving side of a referral sees the person's details once it has accepted it,
		// for as long as the referral consent covering them stands: withdrawn, the details are
		// the sending site's alone again. A referral sent under a logged override of consent
		// carries the override instead. A referral only sent shows no details.
		var n, overridden int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN r.consent_override THEN 1 END) FROM referrals r JOIN org_units u ON u.id = r.to_unit_id
			WHERE r.card_id = $1 AND r.status IN ('accepted', 'completed') AND u.path LIKE $2`, id, a.PathPattern()).Scan(&n, &overridden); err != nil {
			return Card{}, err
		}
		c.Identifiable = overridden > 0
		if n > 0 && overridden == 0 {
			if c.Identifiable, err = consented(ctx, q, id, "referral", s.today()); err != nil {
				return Card{}, err
			}
		}
	}
	return c, nil
}

// Card returns a card, pseudonymous.
func (s *Service) Card(ctx context.Context, a access.Actor, id int64) (Card, error) {
	return s.card(ctx, s.db.R, a, id)
}

// CardByNumber finds a card by its printed number.
func (s *Service) CardByNumber(ctx context.Context, a access.Actor, number string) (Card, error) {
	var id int64
	err := s.db.R.QueryRowContext(ctx, `SELECT id FROM cards WHERE number = $1`, strings.ToUpper(strings.TrimSpace(number))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Card{}, fmt.Errorf("card %q: %w", number, store.ErrNotFound)
	}
	if err != nil {
		return Card{}, err
	}
	return s.Card(ctx, a, id)
}

// CardQuery filters the card list.
type CardQuery struct {
	UnitID int64  // cards registered in this unit's subtree; 0 for the actor's whole scope
	Group  string // one target group
	Sex    string
	Number string // prefix of the card number
	Limit  int
	Offset int
}

// Cards lists the cards in scope, pseudonymous, newest first, with the total matching.
func (s *Service) Cards(ctx context.Context, a access.Actor, q CardQuery) ([]Card, int, error) {
	if err := a.Require(access.ViewCards); err != nil {
		return nil, 0, err
	}
	where := ` WHERE c.merged_into IS NULL AND ` + inScope(1)
	args := []any{a.PathPattern()}
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args)))
	}
	if q.UnitID != 0 {
		var path string
		if err := s.db.R.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, q.UnitID).Scan(&path); err != nil || !a.Sees(path) {
			return nil, 0, fmt.Errorf("unit %d: %w", q.UnitID, store.ErrNotFound)
		}
		add("su.path LIKE ?", path+"%")
	}
	if q.Group != "" {
		add("c.groups LIKE ?", "%,"+q.Group+",%")
	}
	if q.Sex != "" {
		add("c.sex = ?", q.Sex)
	}
	if q.Number != "" {
		add("c.number LIKE ?", strings.ToUpper(strings.TrimSpace(q.Number))+"%")
	}
	var total int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*)`+cardFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+cardCols+cardFrom+where+` ORDER BY c.id DESC LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(max(q.Offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Card
	for rows.Next() {
		c, err := scanCard(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// countyOf is the county (level 4) in a path, or the deepest unit of a shorter path: the home
// area duplicates are matched within.
func countyOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	return parts[min(len(parts), 4)-1]
}

// dupKey is the blind index a likely duplicate shares: same name, birth and home county.
func (s *Service) dupKey(name, birth, homePath string) string {
	return DupKey(s.keys, name, birth, homePath)
}

// DupKey is the duplicate index of a person under a keyring: a keyed hash of the normalised
// name, the birth date (or year) and the county of the home unit's path.
func DupKey(keys *seal.Keyring, name, birth, homePath string) string {
	return keys.BlindIndex("card duplicate", NormaliseName(name)+"|"+birth+"|"+countyOf(homePath))
}

// DuplicateError reports likely duplicates found at registration: the cards of people with the
// same name, birth and home county that the registrant may see. Cards outside their area are
// neither listed nor counted (see duplicates.go).
type DuplicateError struct {
	Cards []Card
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("likely duplicate of %d card(s)", len(e.Cards))
}

// Register creates a card, sealing its protected fields, with the consents given at
// registration. A likely duplicate stops it unless the input confirms it is another person.
func (s *Service) Register(ctx context.Context, a access.Actor, in CardInput, consents []ConsentInput) (Card, error) {
	if err := a.Require(access.EditCards); err != nil {
		return Card{}, err
	}
	if s.keys == nil {
		return Card{}, ErrNoKey
	}
	in.normalise()
	today := s.today()
	es := CheckCard(in, today)
	for i, c := range consents {
		for _, e := range CheckConsent(c, in.Birth, today) {
			e.Row = i + 1
			es = append(es, e)
		}
	}
	if err := es.Err(); err != nil {
		return Card{}, err
	}
	var card Card
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		site, err := unitPath(ctx, tx, a, in.SiteID, "site_id")
		if err != nil {
			return err
		}
		home, err := s.optionalUnit(ctx, tx, in.HomeUnitID, "home_unit_id")
		if err != nil {
			return err
		}
		if _, err := s.optionalUnit(ctx, tx, in.CurrentUnitID, "current_unit_id"); err != nil {
			return err
		}
		if home == "" {
			home = site
		}
		dup := s.dupKey(in.Name, in.Birth, home)
		others, err := matches(ctx, tx, dup, 0)
		if err != nil {
			return err
		}
		seen, err := s.visible(ctx, tx, a, others)
		if err != nil {
			return err
		}
		if len(seen) > 0 && !in.NotDuplicate {
			return &DuplicateError{Cards: seen}
		}
		var seq int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO card_sequences (site_id, next) VALUES ($1, 2)
			ON CONFLICT (site_id) DO UPDATE SET next = card_sequences.next + 1 RETURNING next - 1`, in.SiteID).Scan(&seq); err != nil {
			return err
		}
		var code string
		if err := tx.QueryRowContext(ctx, `SELECT code FROM org_units WHERE id = $1`, in.SiteID).Scan(&code); err != nil {
			return err
		}
		number := fmt.Sprintf("%s-%06d", strings.ToUpper(code), seq)
		sealed, err := s.sealAll(number, in)
		if err != nil {
			return err
		}
		year, _ := BirthYear(in.Birth)
		now := store.Now()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO cards (number, site_id, province_id, sex, birth_date, birth_year, ethnicity, groups, home_unit_id, current_unit_id, status,
				name_sealed, id_number_sealed, phone_sealed, address_sealed, guardian_sealed, dup_key, anonymised_on, last_active, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, '', $18, $19, $20, $20) RETURNING id`,
			number, in.SiteID, provinceOf(site), in.Sex, in.Birth, year, in.Ethnicity, analytics.JoinGroups(in.Groups), nullID(in.HomeUnitID), nullID(in.CurrentUnitID), in.Status,
			sealed[0], sealed[1], sealed[2], sealed[3], sealed[4], dup, today, a.PublicID, now).Scan(&id); err != nil {
			return err
		}
		for _, c := range consents {
			if _, err := s.addConsent(ctx, tx, a, id, number, c); err != nil {
				return err
			}
		}
		if err := analytics.SetPerson(ctx, tx, s.db.Dialect, nil, &analytics.Person{ID: id, Sex: in.Sex, BirthYear: year, Groups: in.Groups, Ethnicity: in.Ethnicity}); err != nil {
			return err
		}
		if err := s.notePairs(ctx, tx, a, id, others, seen); err != nil {
			return err
		}
		if card, err = s.card(ctx, tx, access.System, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "card", id, in.SiteID, nil, card)
	})
	return card, err
}

func (s *Service) sealAll(number string, in CardInput) ([5][]byte, error) {
	var out [5][]byte
	for i, v := range []string{in.Name, in.IDNumber, in.Phone, in.Address, in.Guardian} {
		if v == "" {
			continue
		}
		b, err := s.keys.Seal(protected[i], []byte(v), "card:"+number)
		if err != nil {
			return out, err
		}
		out[i] = b
	}
	return out, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// provinceOf is the province (level 2) in a path: the key the person-level tables can be
// distributed by.
func provinceOf(path string) int64 {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id, _ := strconv.ParseInt(parts[min(len(parts), 2)-1], 10, 64)
	return id
}

// unitPath reads a unit the actor's scope holds; a unit outside it is a field error.
func unitPath(ctx context.Context, q store.Queryer, a access.Actor, id int64, field string) (string, error) {
	var path string
	err := q.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, id).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(path) {
		return "", valid.New(field, "not_in_scope")
	}
	return path, err
}

// optionalUnit reads any unit of the network (home and current units may be in another
// province: the sending and receiving ends of migration).
func (s *Service) optionalUnit(ctx context.Context, q store.Queryer, id int64, field string) (string, error) {
	if id == 0 {
		return "", nil
	}
	var path string
	err := q.QueryRowContext(ctx, `SELECT path FROM org_units WHERE id = $1`, id).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return "", valid.New(field, "not_found")
	}
	return path, err
}

// Identify opens a card's protected fields for a caseworker of its sites, and logs the read
// with its reason in the same transaction: no log, no read.
func (s *Service) Identify(ctx context.Context, a access.Actor, id int64, reason string) (Identity, error) {
	if err := a.Require(access.IdentifyCards); err != nil {
		return Identity{}, err
	}
	if s.keys == nil {
		return Identity{}, ErrNoKey
	}
	var es valid.Errors
	if es.Required("reason", reason) {
		es.OneOf("reason", reason, AccessReasons)
	}
	if err := es.Err(); err != nil {
		return Identity{}, err
	}
	var out Identity
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.card(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if c.Anonymised != "" || c.MergedInto != 0 {
			return valid.New("card", "anonymised")
		}
		if !c.Identifiable {
			return access.ErrForbidden
		}
		if out, err = s.open(ctx, tx, c); err != nil {
			return err
		}
		return logAccess(ctx, tx, a, id, protected, reason)
	})
	return out, err
}

// open reads and opens a card's sealed fields.
func (s *Service) open(ctx context.Context, q store.Queryer, c Card) (Identity, error) {
	var sealed [5][]byte
	if err := q.QueryRowContext(ctx, `SELECT name_sealed, id_number_sealed, phone_sealed, address_sealed, guardian_sealed FROM cards WHERE id = $1`, c.ID).
		Scan(&sealed[0], &sealed[1], &sealed[2], &sealed[3], &sealed[4]); err != nil {
		return Identity{}, err
	}
	var plain [5]string
	for i, b := range sealed {
		if len(b) == 0 {
			continue
		}
		p, err := s.keys.Open(protected[i], b, "card:"+c.Number)
		if err != nil {
			return Identity{}, fmt.Errorf("card %s %s: %w", c.Number, protected[i], err)
		}
		plain[i] = string(p)
	}
	return Identity{Name: plain[0], IDNumber: plain[1], Phone: plain[2], Address: plain[3], Guardian: plain[4], Birth: c.birth}, nil
}

func logAccess(ctx context.Context, tx *sql.Tx, a access.Actor, card int64, fields []string, reason string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO card_access_log (at, actor, username, card_id, fields, reason) VALUES ($1, $2, $3, $4, $5, $6)`,
		store.Now(), a.PublicID, a.Username, card, strings.Join(fields, ","), reason)
	return err
}

// Access is one logged read of protected fields.
type Access struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Username string    `json:"username"`
	CardID   int64     `json:"card_id"`
	Number   string    `json:"card_number"`
	Fields   string    `json:"fields"`
	Reason   string    `json:"reason"`
}

// AccessLog lists reads of protected fields, newest first: of one card, or all (card 0).
func (s *Service) AccessLog(ctx context.Context, a access.Actor, card int64, limit, offset int) ([]Access, int, error) {
	if err := a.Require(access.ViewAccessLog); err != nil {
		return nil, 0, err
	}
	// An administrator reads the log of their own area: reads of the cards it holds, and reads
	// by its accounts (of cards referred to them from elsewhere).
	where, args := ` WHERE (EXISTS (SELECT 1 FROM cards lc JOIN org_units lo ON lo.id IN (lc.site_id, lc.current_unit_id) WHERE lc.id = l.card_id AND lo.path LIKE $1)
		OR EXISTS (SELECT 1 FROM users lu JOIN org_units luo ON luo.id = lu.unit_id WHERE lu.public_id = l.actor AND luo.path LIKE $1))`, []any{a.PathPattern()}
	if card != 0 {
		where, args = where+" AND l.card_id = $2", append(args, card)
	}
	var total int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM card_access_log l`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT l.id, l.at, l.actor, l.username, l.card_id, COALESCE(c.number, ''), l.fields, l.reason
		FROM card_access_log l LEFT JOIN cards c ON c.id = l.card_id`+where+` ORDER BY l.id DESC LIMIT `+strconv.Itoa(limit)+` OFFSET `+strconv.Itoa(max(offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Access
	for rows.Next() {
		var e Access
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Username, &e.CardID, &e.Number, &e.Fields, &e.Reason); err != nil {
			return nil, 0, err
		}
		out = append(out, e)
	}
	return out, total, rows.Err()
}

// Update edits a card. Protected fields left blank in the input are kept; the change of
// attributes moves the person between the reach attribute bitmaps in the same transaction.
func (s *Service) Update(ctx context.Context, a access.Actor, id int64, in CardInput) (Card, error) {
	if err := a.Require(access.EditCards); err != nil {
		return Card{}, err
	}
	if s.keys == nil {
		return Card{}, ErrNoKey
	}
	in.normalise()
	var card Card
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		old, err := s.card(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := requireOwn(a, old); err != nil {
			return err
		}
		if old.Anonymised != "" || old.MergedInto != 0 {
			return valid.New("card", "anonymised")
		}
		cur, err := s.open(ctx, tx, old)
		if err != nil {
			return err
		}
		in.SiteID = old.SiteID
		for _, f := range []struct{ dst, was *string }{{&in.Name, &cur.Name}, {&in.IDNumber, &cur.IDNumber}, {&in.Phone, &cur.Phone}, {&in.Address, &cur.Address}, {&in.Guardian, &cur.Guardian}} {
			if *f.dst == "" {
				*f.dst = *f.was
			}
		}
		if err := CheckCard(in, s.today()).Err(); err != nil {
			return err
		}
		home, err := s.optionalUnit(ctx, tx, in.HomeUnitID, "home_unit_id")
		if err != nil {
			return err
		}
		if _, err := s.optionalUnit(ctx, tx, in.CurrentUnitID, "current_unit_id"); err != nil {
			return err
		}
		if home == "" {
			home = old.sitePath
		}
		dup := s.dupKey(in.Name, in.Birth, home)
		sealed, err := s.sealAll(old.Number, in)
		if err != nil {
			return err
		}
		year, _ := BirthYear(in.Birth)
		if _, err := tx.ExecContext(ctx, `UPDATE cards SET sex = $1, birth_date = $2, birth_year = $3, ethnicity = $4, groups = $5, home_unit_id = $6, current_unit_id = $7,
				status = $8, name_sealed = $9, id_number_sealed = $10, phone_sealed = $11, address_sealed = $12, guardian_sealed = $13, dup_key = $14, updated_at = $15 WHERE id = $16`,
			in.Sex, in.Birth, year, in.Ethnicity, analytics.JoinGroups(in.Groups), nullID(in.HomeUnitID), nullID(in.CurrentUnitID), in.Status,
			sealed[0], sealed[1], sealed[2], sealed[3], sealed[4], dup, store.Now(), id); err != nil {
			return err
		}
		others, err := matches(ctx, tx, dup, id)
		if err != nil {
			return err
		}
		if err := s.notePairs(ctx, tx, a, id, others, nil); err != nil {
			return err
		}
		if err := analytics.SetPerson(ctx, tx, s.db.Dialect, personOf(old), &analytics.Person{ID: id, Sex: in.Sex, BirthYear: year, Groups: in.Groups, Ethnicity: in.Ethnicity}); err != nil {
			return err
		}
		if card, err = s.card(ctx, tx, a, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "update", "card", id, old.SiteID, old, card)
	})
	return card, err
}

func personOf(c Card) *analytics.Person {
	return &analytics.Person{ID: c.ID, Sex: c.Sex, BirthYear: c.BirthYear, Groups: c.Groups, Ethnicity: c.Ethnicity}
}

// Merge folds a duplicate card into the card kept: its services, consents, referrals and
// feedback move over (so no service is lost and reach counts the person once), measurements
// move unless the kept card already has that instrument's baseline or end, and the duplicate
// is left as a pointer with its protected fields erased.
func (s *Service) Merge(ctx context.Context, a access.Actor, keepID, dropID int64) (Card, error) {
	if err := a.Require(access.MergeCards); err != nil {
		return Card{}, err
	}
	if keepID == dropID {
		return Card{}, valid.New("duplicate", "same_card")
	}
	var card Card
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Both cards locked first (PostgreSQL), in id order: a service write that checked the
		// duplicate before is waited for, so its services (pending or not) are found below;
		// one that checks it after finds it merged.
		if _, err := store.IDs(ctx, tx, `SELECT id FROM cards WHERE id IN ($1, $2) ORDER BY id`+lockRows(s.db.Dialect, "UPDATE", "cards"), keepID, dropID); err != nil {
			return err
		}
		keep, err := s.card(ctx, tx, a, keepID)
		if err != nil {
			return err
		}
		drop, err := s.card(ctx, tx, a, dropID)
		if err != nil {
			return err
		}
		if err := requireOwn(a, keep); err != nil {
			return err
		}
		if err := requireOwn(a, drop); err != nil {
			return err
		}
		if keep.MergedInto != 0 || drop.MergedInto != 0 {
			return valid.New("duplicate", "already_merged")
		}
		gone, err := servedBy(ctx, tx, `s.card_id = $1`, dropID)
		if err != nil {
			return err
		}
		// The duplicate's services are put in the bitmaps under the card kept below, pending
		// or not: off the pending list, so no later fold adds them under the duplicate.
		if err := analytics.Unlist(ctx, tx, `s.card_id = $1`, dropID); err != nil {
			return err
		}
		for _, q := range []string{
			`UPDATE services SET card_id = $1 WHERE card_id = $2`,
			`UPDATE card_consents SET card_id = $1 WHERE card_id = $2`,
			`UPDATE referrals SET card_id = $1 WHERE card_id = $2`,
			`UPDATE feedback SET card_id = $1 WHERE card_id = $2`,
			// A measurement moves unless the kept card has that instrument's measurement of
			// the same kind, or the move would put an end before its baseline (the rule a
			// measurement is recorded under): the kept card's pair stays whole and in order.
			`UPDATE measurements SET card_id = $1 WHERE card_id = $2 AND NOT EXISTS (SELECT 1 FROM measurements m
				WHERE m.card_id = $1 AND m.instrument_id = measurements.instrument_id AND (m.kind = measurements.kind
					OR m.kind = 'baseline' AND measurements.kind = 'end' AND measurements.taken_on < m.taken_on
					OR m.kind = 'end' AND measurements.kind = 'baseline' AND measurements.taken_on > m.taken_on))`,
			`DELETE FROM measurements WHERE card_id = $2 AND $1 > 0`,
		} {
			if _, err := tx.ExecContext(ctx, q, keepID, dropID); err != nil {
				return err
			}
		}
		// The duplicate keeps no more of the person than an anonymised card: its birth date
		// shortens to the year (the kept card holds the date).
		if _, err := tx.ExecContext(ctx, `UPDATE cards SET merged_into = $1, name_sealed = NULL, id_number_sealed = NULL, phone_sealed = NULL, address_sealed = NULL,
				guardian_sealed = NULL, dup_key = '', birth_date = SUBSTR(birth_date, 1, 4), updated_at = $2 WHERE id = $3`, keepID, store.Now(), dropID); err != nil {
			return err
		}
		if _, err := decidePair(ctx, tx, a, keepID, dropID, "merged"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cards SET last_active = $1 WHERE id = $2 AND last_active < $1`, drop.LastActive, keepID); err != nil {
			return err
		}
		if err := analytics.Refresh(ctx, tx, s.db.Dialect, gone); err != nil {
			return err
		}
		moved := make([]analytics.Served, len(gone))
		for i, g := range gone {
			g.Card = keepID
			moved[i] = g
		}
		if err := analytics.Add(ctx, tx, s.db.Dialect, moved); err != nil {
			return err
		}
		if err := analytics.SetPerson(ctx, tx, s.db.Dialect, personOf(drop), nil); err != nil {
			return err
		}
		if card, err = s.card(ctx, tx, a, keepID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "merge", "card", keepID, keep.SiteID, map[string]any{"merged": drop.Number, "services": len(gone)}, card)
	})
	return card, err
}

// servedBy reads services as reach entries, by a condition on services (alias s).
func servedBy(ctx context.Context, q store.Queryer, cond string, args ...any) ([]analytics.Served, error) {
	rows, err := q.QueryContext(ctx, `SELECT s.card_id, s.site_id, s.served_on, s.type FROM services s WHERE `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []analytics.Served
	for rows.Next() {
		var sv analytics.Served
		if err := rows.Scan(&sv.Card, &sv.Unit, &sv.Date, &sv.Type); err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}

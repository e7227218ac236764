package beneficiaries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// ReferralInput refers a card from its site to another site (in any province: sending ↔
// receiving) or to a partner organisation.
type ReferralInput struct {
	CardID      int64  `json:"card_id"`
	ToUnitID    int64  `json:"to_unit_id"`
	ToPartnerID int64  `json:"to_partner_id"`
	ServiceType string `json:"service_type"`
	Reason      string `json:"reason"`
	// Override refers without referral consent; it needs its own permission and a reason, and
	// is written to the audit log.
	Override       bool   `json:"override"`
	OverrideReason string `json:"override_reason"`
}

// Referral is a referral as both sides see it.
type Referral struct {
	ID             int64     `json:"id"`
	CardID         int64     `json:"card_id"`
	Card           string    `json:"card"`
	FromUnitID     int64     `json:"from_unit_id"`
	FromNameZH     string    `json:"from_name_zh"`
	FromNameEN     string    `json:"from_name_en"`
	ToUnitID       int64     `json:"to_unit_id,omitempty"`
	ToPartnerID    int64     `json:"to_partner_id,omitempty"`
	ToNameZH       string    `json:"to_name_zh"`
	ToNameEN       string    `json:"to_name_en"`
	ServiceType    string    `json:"service_type"`
	Reason         string    `json:"reason"`
	Status         string    `json:"status"`
	Override       bool      `json:"consent_override"`
	OverrideReason string    `json:"override_reason,omitempty"`
	Response       string    `json:"response"`
	SentOn         string    `json:"sent_on"`
	UpdatedAt      time.Time `json:"updated_at"`
	Incoming       bool      `json:"incoming"` // the reader is on the receiving side
	// Closed: the reader received the referral and rejected it, so the card is no longer theirs
	// to see; the card's number and the sender's reason are withheld from them (CardID 0, Card
	// and Reason empty), and what remains is their own answer.
	Closed   bool `json:"closed,omitempty"`
	toPath   string
	fromPath string
}

// FromName is the sending site's name in lang.
func (r Referral) FromName(lang string) string { return pick(lang, r.FromNameZH, r.FromNameEN) }

// ToName is the receiving site's or partner's name in lang.
func (r Referral) ToName(lang string) string { return pick(lang, r.ToNameZH, r.ToNameEN) }

// Refer sends a referral. Without active referral consent it is refused, unless the actor may
// override and gives a reason; the override is audited.
func (s *Service) Refer(ctx context.Context, a access.Actor, in ReferralInput) (Referral, error) {
	if err := a.Require(access.Refer); err != nil {
		return Referral{}, err
	}
	var es valid.Errors
	switch {
	case in.ToUnitID == 0 && in.ToPartnerID == 0:
		es.Add("to_unit_id", "required")
	case in.ToUnitID != 0 && in.ToPartnerID != 0:
		es.Add("to_partner_id", "one_destination")
	}
	if in.ServiceType != "" {
		es.OneOf("service_type", in.ServiceType, ServiceTypes)
	}
	es.Required("reason", in.Reason)
	es.MaxLen("reason", in.Reason, 1000)
	if in.Override {
		es.Required("override_reason", in.OverrideReason)
		es.MaxLen("override_reason", in.OverrideReason, 1000)
	}
	if err := es.Err(); err != nil {
		return Referral{}, err
	}
	today := s.today()
	var out Referral
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.card(ctx, tx, a, in.CardID)
		if err != nil {
			return err
		}
		if c.Anonymised != "" || c.MergedInto != 0 {
			return valid.New("card", "anonymised")
		}
		// The sending side is the card's own site, which must be the actor's.
		if !a.Sees(c.sitePath) {
			return valid.New("card", "not_sending_side")
		}
		if in.ToUnitID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM org_units WHERE id = $1 AND closed_on IS NULL`, in.ToUnitID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return valid.New("to_unit_id", "not_found")
			}
			if in.ToUnitID == c.SiteID {
				return valid.New("to_unit_id", "same_site")
			}
		} else {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM partners WHERE id = $1`, in.ToPartnerID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return valid.New("to_partner_id", "not_found")
			}
		}
		ok, err := consented(ctx, tx, c.ID, "referral", today)
		if err != nil {
			return err
		}
		override := false
		if !ok {
			if !in.Override {
				return valid.New("consent", "referral_consent")
			}
			if !a.Can(access.OverrideConsent) {
				return valid.New("override", "override_permission")
			}
			override = true
		}
		now := store.Now()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO referrals (card_id, from_unit_id, to_unit_id, to_partner_id, service_type, reason, status, consent_override, override_reason,
				response, sent_on, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'sent', $7, $8, '', $9, $10, $11, $11) RETURNING id`,
			c.ID, c.SiteID, nullID(in.ToUnitID), nullID(in.ToPartnerID), in.ServiceType, strings.TrimSpace(in.Reason), override, overrideReason(override, in.OverrideReason),
			today, a.PublicID, now).Scan(&id); err != nil {
			return err
		}
		if out, err = s.referral(ctx, tx, a, id); err != nil {
			return err
		}
		action := "refer"
		if override {
			action = "refer_override_consent"
		}
		return audit.Record(ctx, tx, a, action, "referral", id, c.SiteID, nil, out)
	})
	return out, err
}

func overrideReason(override bool, r string) string {
	if !override {
		return ""
	}
	return strings.TrimSpace(r)
}

const referralCols = `r.id, r.card_id, c.number, r.from_unit_id, fu.name_zh, fu.name_en, fu.path, COALESCE(r.to_unit_id, 0), COALESCE(r.to_partner_id, 0),
	COALESCE(tu.name_zh, p.name_zh, ''), COALESCE(tu.name_en, p.name_en, ''), COALESCE(tu.path, ''), r.service_type, r.reason, r.status, r.consent_override,
	r.override_reason, r.response, r.sent_on, r.updated_at`

const referralFrom = ` FROM referrals r JOIN cards c ON c.id = r.card_id JOIN org_units fu ON fu.id = r.from_unit_id
	LEFT JOIN org_units tu ON tu.id = r.to_unit_id LEFT JOIN partners p ON p.id = r.to_partner_id`

func scanReferral(sc interface{ Scan(...any) error }, a access.Actor) (Referral, error) {
	var r Referral
	err := sc.Scan(&r.ID, &r.CardID, &r.Card, &r.FromUnitID, &r.FromNameZH, &r.FromNameEN, &r.fromPath, &r.ToUnitID, &r.ToPartnerID, &r.ToNameZH, &r.ToNameEN, &r.toPath,
		&r.ServiceType, &r.Reason, &r.Status, &r.Override, &r.OverrideReason, &r.Response, &r.SentOn, &r.UpdatedAt)
	r.Incoming = r.toPath != "" && a.Sees(r.toPath) && !a.Sees(r.fromPath)
	if r.Incoming && r.Status == "rejected" {
		r.Closed, r.CardID, r.Card, r.Reason, r.OverrideReason = true, 0, "", "", ""
	}
	return r, err
}

// referral reads one referral either side of which is the actor's.
func (s *Service) referral(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Referral, error) {
	if err := a.Require(access.ViewCards); err != nil {
		return Referral{}, err
	}
	r, err := scanReferral(q.QueryRowContext(ctx, `SELECT `+referralCols+referralFrom+` WHERE r.id = $1 AND (fu.path LIKE $2 OR tu.path LIKE $2)`, id, a.PathPattern()), a)
	if errors.Is(err, sql.ErrNoRows) {
		return Referral{}, fmt.Errorf("referral %d: %w", id, store.ErrNotFound)
	}
	return r, err
}

// Referral returns one referral the actor sends or receives.
func (s *Service) Referral(ctx context.Context, a access.Actor, id int64) (Referral, error) {
	return s.referral(ctx, s.db.R, a, id)
}

// ReferralQuery narrows the referrals listed.
type ReferralQuery struct {
	CardID int64  // one card's, or all
	Side   string // "received" (sent to the actor's area from outside it), "sent" (from it), or both
	Limit  int    // 0: all
	Offset int
}

// ReferralSides are the values ReferralQuery.Side takes besides "".
var ReferralSides = []string{"received", "sent"}

// Referrals lists the referrals sent from or to the actor's subtree (or of one card), newest first.
func (s *Service) Referrals(ctx context.Context, a access.Actor, cardID int64) ([]Referral, error) {
	list, _, err := s.FindReferrals(ctx, a, ReferralQuery{CardID: cardID})
	return list, err
}

// FindReferrals lists the referrals of q sent from or to the actor's subtree, newest first, and
// how many there are in all.
func (s *Service) FindReferrals(ctx context.Context, a access.Actor, q ReferralQuery) ([]Referral, int, error) {
	if err := a.Require(access.ViewCards); err != nil {
		return nil, 0, err
	}
	where, args := ` WHERE (fu.path LIKE $1 OR tu.path LIKE $1)`, []any{a.PathPattern()}
	switch q.Side {
	case "received": // as Referral.Incoming
		where += ` AND tu.path LIKE $1 AND fu.path NOT LIKE $1`
	case "sent":
		where += ` AND fu.path LIKE $1`
	case "":
	default:
		var es valid.Errors
		es.OneOf("side", q.Side, ReferralSides)
		return nil, 0, es
	}
	if q.CardID != 0 {
		where += ` AND r.card_id = $2`
		args = append(args, q.CardID)
	}
	var total int
	if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*)`+referralFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+referralCols+referralFrom+where+` ORDER BY r.id DESC`+store.Page(q.Limit, q.Offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Referral
	for rows.Next() {
		r, err := scanReferral(rows, a)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// next are the statuses a referral may move to from each status.
var next = map[string][]string{"sent": {"accepted", "rejected"}, "accepted": {"completed"}}

// Respond moves a referral on: the receiving side accepts or rejects it and completes it; the
// sending side may mark an accepted referral to a partner (who has no account) completed.
func (s *Service) Respond(ctx context.Context, a access.Actor, id int64, status, response string) (Referral, error) {
	if err := a.Require(access.Refer); err != nil {
		return Referral{}, err
	}
	var out Referral
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		r, err := s.referral(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !slices.Contains(next[r.Status], status) {
			return valid.New("status", "transition", r.Status+" → "+status)
		}
		receiving := r.toPath != "" && a.Sees(r.toPath)
		partnerSide := r.ToPartnerID != 0 && a.Sees(r.fromPath)
		if !receiving && !partnerSide {
			return valid.New("status", "receiving_side")
		}
		if status == "rejected" && strings.TrimSpace(response) == "" {
			return valid.New("response", "required")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE referrals SET status = $1, response = $2, updated_at = $3 WHERE id = $4`,
			status, strings.TrimSpace(response), store.Now(), id); err != nil {
			return err
		}
		if out, err = s.referral(ctx, tx, a, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "referral_"+status, "referral", id, r.FromUnitID, r, out)
	})
	return out, err
}

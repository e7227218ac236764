package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// MaxEmail is the longest address accepted (RFC 5321's limit on a forward path).
const MaxEmail = 254

// CheckEmail validates an e-mail address as a user types it: a bare address (no display
// name), at most MaxEmail characters. Empty is valid: it means "no e-mail".
func CheckEmail(email string) valid.Errors {
	var es valid.Errors
	email = strings.TrimSpace(email)
	if email == "" {
		return nil
	}
	if es.MaxLen("email", email, MaxEmail); es.Err() != nil {
		return es
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		es.Add("email", "email")
	}
	return es
}

// SetEmail stores the address a user's reminders are e-mailed to; empty removes it. Users set
// their own; account managers set those of accounts in their scope. The audit row says that
// the address changed, not what it is.
func (s *Service) SetEmail(ctx context.Context, a access.Actor, userID int64, email string) error {
	if userID != a.UserID || a.UserID == 0 {
		if err := a.Require(access.ManageUsers); err != nil {
			return err
		}
	}
	email = strings.TrimSpace(email)
	if es := CheckEmail(email); es.Err() != nil {
		return es
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.userWhere(ctx, tx, "us.id = $1", userID)
		if err != nil || (userID != a.UserID && !a.Sees(u.UnitPath)) {
			return fmt.Errorf("user %d: %w", userID, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET email = $1, updated_at = $2 WHERE id = $3", email, s.now(), userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "set_email", "user", userID, u.UnitID, nil, map[string]bool{"email": email != ""})
	})
}

// Email returns the address a user's reminders go to ("" when none).
func (s *Service) Email(ctx context.Context, userID int64) (string, error) {
	var email string
	err := s.db.R.QueryRowContext(ctx, "SELECT email FROM users WHERE id = $1", userID).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("user %d: %w", userID, store.ErrNotFound)
	}
	return email, err
}

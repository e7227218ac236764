package auth

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	mrand "math/rand/v2"
	"time"

	"ting/internal/store"
)

// Submissions remembers the forms a user has sent, by the key each rendering of a form
// carries, so that a form sent again — the retry of someone whose connection dropped before
// the answer came — is led to where the first sending led instead of being done twice.
type Submissions struct {
	db  *store.DB
	now func() time.Time
}

// NewSubmissions returns the record of sent forms on db.
func NewSubmissions(db *store.DB) *Submissions { return &Submissions{db: db, now: time.Now} }

// Sending is what a form's key says about the sending at hand.
type Sending int

const (
	// First: the key is new (or its first sending died unfinished); do the work and report
	// Done or Release.
	First Sending = iota
	// Repeat: the key's first sending succeeded; lead the user where it led.
	Repeat
	// Running: the key's first sending is still being done.
	Running
	// Foreign: the key is another user's; it protects nothing here.
	Foreign
)

// Unfinished is how long a first sending may run before its key is taken as abandoned (the
// server stopped in between) and a new sending may claim it.
const Unfinished = 2 * time.Minute

// Keep is how long a key is remembered.
const Keep = 7 * 24 * time.Hour

// NewSubmitKey returns a fresh key for one rendering of a form.
func NewSubmitKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ValidSubmitKey reports whether k has the shape NewSubmitKey gives.
func ValidSubmitKey(k string) bool {
	if len(k) != 32 {
		return false
	}
	_, err := hex.DecodeString(k)
	return err == nil
}

// Claim records the sending of key by user and says what it is; for a Repeat it returns the
// location the first sending led to.
func (s *Submissions) Claim(ctx context.Context, key string, userID int64) (Sending, string, error) {
	now := s.now().UTC()
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO form_submissions (submit_key, user_id, location, created_at) VALUES ($1, $2, '', $3)
		ON CONFLICT (submit_key) DO NOTHING`, key, userID, now)
	if err != nil {
		return 0, "", err
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, "", err
	} else if n == 1 {
		if mrand.IntN(256) == 0 {
			if _, err := s.db.W.ExecContext(ctx, "DELETE FROM form_submissions WHERE created_at < $1", now.Add(-Keep)); err != nil {
				return 0, "", err
			}
		}
		return First, "", nil
	}
	var owner int64
	var location string
	var at time.Time
	err = s.db.W.QueryRowContext(ctx, "SELECT user_id, location, created_at FROM form_submissions WHERE submit_key = $1", key).Scan(&owner, &location, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Pruned between the two statements: a week-old key sent again.
		return s.Claim(ctx, key, userID)
	case err != nil:
		return 0, "", err
	case owner != userID:
		return Foreign, "", nil
	case location != "":
		return Repeat, location, nil
	case now.Sub(at) < Unfinished:
		return Running, "", nil
	}
	res, err = s.db.W.ExecContext(ctx, "UPDATE form_submissions SET created_at = $1 WHERE submit_key = $2 AND location = '' AND created_at = $3", now, key, at)
	if err != nil {
		return 0, "", err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return Running, "", err
	}
	return First, "", nil
}

// Done records where the first sending of key led.
func (s *Submissions) Done(ctx context.Context, key, location string) error {
	_, err := s.db.W.ExecContext(ctx, "UPDATE form_submissions SET location = $1 WHERE submit_key = $2", location, key)
	return err
}

// Release forgets a first sending that did not succeed (the form came back with its errors),
// so that sending it again does the work again.
func (s *Submissions) Release(ctx context.Context, key string) error {
	_, err := s.db.W.ExecContext(ctx, "DELETE FROM form_submissions WHERE submit_key = $1 AND location = ''", key)
	return err
}

// Where returns the location the first sending of key led to, or "" while it runs.
func (s *Submissions) Where(ctx context.Context, key string) (string, error) {
	var location string
	err := s.db.R.QueryRowContext(ctx, "SELECT location FROM form_submissions WHERE submit_key = $1", key).Scan(&location)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return location, err
}

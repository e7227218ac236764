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
	// Elsewhere: the key's first sending was another request (another address, or another
	// body: an API client reused a key).
	Elsewhere
)

// Outcome is what a key's first sending led to: a page's address, or an API answer.
type Outcome struct {
	Location    string
	Status      int
	ContentType string
	Body        []byte
}

func (o Outcome) done() bool { return o.Location != "" || o.Status != 0 }

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

// Claim records the sending of key by user to path, with request the hash of what it sends (or
// ""), and says what it is; for a Repeat it returns what the first sending led to.
func (s *Submissions) Claim(ctx context.Context, key string, userID int64, path, request string) (Sending, Outcome, error) {
	now := s.now().UTC()
	res, err := s.db.W.ExecContext(ctx, `INSERT INTO form_submissions (submit_key, user_id, path, request, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (submit_key) DO NOTHING`, key, userID, path, request, now)
	if err != nil {
		return 0, Outcome{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return 0, Outcome{}, err
	} else if n == 1 {
		if mrand.IntN(256) == 0 {
			if _, err := s.db.W.ExecContext(ctx, "DELETE FROM form_submissions WHERE created_at < $1", now.Add(-Keep)); err != nil {
				return 0, Outcome{}, err
			}
		}
		return First, Outcome{}, nil
	}
	var owner int64
	var first, firstRequest string
	var at time.Time
	o, err := s.outcome(ctx, key, &owner, &first, &firstRequest, &at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Released or pruned between the two statements: claim it afresh.
		return s.Claim(ctx, key, userID, path, request)
	case err != nil:
		return 0, Outcome{}, err
	case owner != userID:
		return Foreign, Outcome{}, nil
	case first != path || firstRequest != request:
		return Elsewhere, Outcome{}, nil
	case o.done():
		return Repeat, o, nil
	case now.Sub(at) < Unfinished:
		return Running, Outcome{}, nil
	}
	res, err = s.db.W.ExecContext(ctx, "UPDATE form_submissions SET created_at = $1 WHERE submit_key = $2 AND location = '' AND status = 0 AND created_at = $3", now, key, at)
	if err != nil {
		return 0, Outcome{}, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return Running, Outcome{}, err
	}
	return First, Outcome{}, nil
}

func (s *Submissions) outcome(ctx context.Context, key string, owner *int64, path, request *string, at *time.Time) (Outcome, error) {
	var o Outcome
	err := s.db.W.QueryRowContext(ctx, `SELECT user_id, path, request, created_at, location, status, content_type, body FROM form_submissions
		WHERE submit_key = $1`, key).Scan(owner, path, request, at, &o.Location, &o.Status, &o.ContentType, &o.Body)
	return o, err
}

// Touch tells that the first sending of key is still running, so that a long one (an import
// over a slow link) is not taken for abandoned.
func (s *Submissions) Touch(ctx context.Context, key string) error {
	_, err := s.db.W.ExecContext(ctx, "UPDATE form_submissions SET created_at = $1 WHERE submit_key = $2 AND location = '' AND status = 0", s.now().UTC(), key)
	return err
}

// Done records where the first sending of key led.
func (s *Submissions) Done(ctx context.Context, key, location string) error {
	_, err := s.db.W.ExecContext(ctx, "UPDATE form_submissions SET location = $1 WHERE submit_key = $2", location, key)
	return err
}

// Answered records the answer an API request's first sending got, to give again.
func (s *Submissions) Answered(ctx context.Context, key string, status int, contentType string, body []byte) error {
	_, err := s.db.W.ExecContext(ctx, "UPDATE form_submissions SET status = $1, content_type = $2, body = $3 WHERE submit_key = $4", status, contentType, body, key)
	return err
}

// Release forgets a first sending that did not succeed (the form came back with its errors),
// so that sending it again does the work again.
func (s *Submissions) Release(ctx context.Context, key string) error {
	_, err := s.db.W.ExecContext(ctx, "DELETE FROM form_submissions WHERE submit_key = $1 AND location = '' AND status = 0", key)
	return err
}

// Result returns what the first sending of key led to; done is false while the first runs,
// and gone is set when the key is free again (the first sending failed and was released).
func (s *Submissions) Result(ctx context.Context, key string) (o Outcome, done, gone bool, err error) {
	var owner int64
	var path, request string
	var at time.Time
	o, err = s.outcome(ctx, key, &owner, &path, &request, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Outcome{}, false, true, nil
	}
	return o, o.done(), false, err
}

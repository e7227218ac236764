package auth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"ting/internal/store"
)

// SessionStore keeps scs sessions in the portable sessions table, so app servers stay stateless.
type SessionStore struct{ db *store.DB }

// NewSessionStore returns a store on db.
func NewSessionStore(db *store.DB) *SessionStore { return &SessionStore{db: db} }

// FindCtx returns the session data for token, if present and unexpired.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.db.R.QueryRowContext(ctx, "SELECT data FROM sessions WHERE token = $1 AND expiry > $2", token, store.Now()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return data, err == nil, err
}

// CommitCtx stores (or replaces) a session.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`, token, b, expiry.UTC())
	return err
}

// DeleteCtx removes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.W.ExecContext(ctx, "DELETE FROM sessions WHERE token = $1", token)
	return err
}

// Find, Commit and Delete satisfy scs.Store; scs prefers the Ctx variants.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}
func (s *SessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }

// Purge deletes expired sessions.
func (s *SessionStore) Purge(ctx context.Context) error {
	_, err := s.db.W.ExecContext(ctx, "DELETE FROM sessions WHERE expiry <= $1", store.Now())
	return err
}

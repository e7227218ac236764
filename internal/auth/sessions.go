package auth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/alexedwards/scs/v2"

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

// endUserSessions deletes, in tx, every live session signed in as userID except the one whose
// token is keep (the session making the change; "" keeps none). The sessions table holds only
// scs's encoded data, so each live session is decoded to find its user: the table is small
// (live sessions only; Purge drops the rest), and a password change is rare. A session that
// cannot be decoded is left alone. It returns how many sessions ended.
func endUserSessions(ctx context.Context, tx *sql.Tx, userID int64, keep string) (int, error) {
	rows, err := tx.QueryContext(ctx, "SELECT token, data FROM sessions WHERE expiry > $1", store.Now())
	if err != nil {
		return 0, err
	}
	var tokens []string
	for rows.Next() {
		var token string
		var data []byte
		if err := rows.Scan(&token, &data); err != nil {
			rows.Close()
			return 0, err
		}
		if token == keep {
			continue
		}
		if sessionUser(data) == userID {
			tokens = append(tokens, token)
		}
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, token := range tokens {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE token = $1", token); err != nil {
			return 0, err
		}
	}
	return len(tokens), nil
}

// sessionUser returns the user a session's data is signed in as (the web layer keeps it under
// "user_id" with scs's default gob codec), or 0.
func sessionUser(data []byte) int64 {
	_, values, err := scs.GobCodec{}.Decode(data)
	if err != nil {
		return 0
	}
	id, _ := values["user_id"].(int64)
	return id
}

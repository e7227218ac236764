// Package auth owns accounts: users bound to a unit (and optionally a partner) with a role,
// argon2id passwords, lock-out after repeated failures, database-backed web sessions and API
// tokens. It turns a login or a token into an access.Actor; it does not decide what an actor
// may do (that is access and the domain packages).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Lock-out policy: after MaxFailures consecutive failed logins the account is locked for LockFor.
const (
	MaxFailures = 5
	LockFor     = 15 * time.Minute
)

var (
	// ErrBadCredentials covers unknown users and wrong passwords alike.
	ErrBadCredentials = errors.New("invalid username or password")
	// ErrLocked means too many failures; the account opens again at the time given.
	ErrLocked = errors.New("account locked")
)

// User is an account.
type User struct {
	ID          int64       `json:"id"`
	PublicID    string      `json:"public_id"`
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Role        access.Role `json:"role"`
	UnitID      int64       `json:"unit_id"`
	UnitPath    string      `json:"-"`
	PartnerID   int64       `json:"partner_id,omitempty"`
	Lang        string      `json:"lang,omitempty"`
	Active      bool        `json:"active"`
	LockedUntil time.Time   `json:"-"`
	hash        string
	failures    int
}

// Actor returns the access.Actor acting as u.
func (u User) Actor() access.Actor {
	return access.Actor{UserID: u.ID, PublicID: u.PublicID, Username: u.Username, Role: u.Role, UnitID: u.UnitID, UnitPath: u.UnitPath, PartnerID: u.PartnerID}
}

// Service stores accounts.
type Service struct {
	db  *store.DB
	now func() time.Time
}

// New returns a Service on db.
func New(db *store.DB) *Service { return &Service{db: db, now: store.Now} }

const userCols = `us.id, us.public_id, us.username, us.display_name, us.role, us.unit_id, un.path, COALESCE(us.partner_id, 0),
	us.lang, us.active, us.locked_until, us.password_hash, us.failed_logins`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var locked sql.NullTime
	err := sc.Scan(&u.ID, &u.PublicID, &u.Username, &u.DisplayName, &u.Role, &u.UnitID, &u.UnitPath, &u.PartnerID, &u.Lang, &u.Active, &locked, &u.hash, &u.failures)
	if locked.Valid {
		u.LockedUntil = locked.Time
	}
	return u, err
}

func (s *Service) userWhere(ctx context.Context, q store.Queryer, cond string, arg any) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, "SELECT "+userCols+" FROM users us JOIN org_units un ON un.id = us.unit_id WHERE "+cond, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, store.ErrNotFound
	}
	return u, err
}

// UserByID loads a user without any scope check (for session restoration).
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	return s.userWhere(ctx, s.db.R, "us.id = $1", id)
}

// UserInput creates or changes an account.
type UserInput struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Password    string      `json:"password,omitempty"`
	Role        access.Role `json:"role"`
	UnitID      int64       `json:"unit_id"`
	PartnerID   int64       `json:"partner_id"`
	Lang        string      `json:"lang"`
}

// CheckUserInput validates the fields of a new account.
func CheckUserInput(in UserInput) valid.Errors {
	var es valid.Errors
	if es.Required("username", in.Username) {
		es.MaxLen("username", in.Username, 64)
		if strings.ContainsAny(in.Username, " \t/") {
			es.Add("username", "code_chars")
		}
	}
	es.Required("display_name", in.DisplayName)
	if !in.Role.Valid() {
		var names []string
		for _, r := range access.Roles {
			names = append(names, string(r))
		}
		es.Add("role", "one_of", strings.Join(names, ", "))
	}
	if in.UnitID == 0 {
		es.Add("unit_id", "required")
	}
	if rule := CheckPasswordStrength(in.Password); rule != "" {
		es.Add("password", rule, "10")
	}
	if in.Lang != "" {
		es.OneOf("lang", in.Lang, []string{"zh", "en"})
	}
	return es
}

func newPublicID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "u_" + hex.EncodeToString(b)
}

// CreateUser makes an account bound to a unit in the actor's scope.
func (s *Service) CreateUser(ctx context.Context, a access.Actor, in UserInput) (User, error) {
	if err := a.Require(access.ManageUsers); err != nil {
		return User{}, err
	}
	in.Username = strings.TrimSpace(strings.ToLower(in.Username))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if es := CheckUserInput(in); es.Err() != nil {
		return User{}, es
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var path string
		err := tx.QueryRowContext(ctx, "SELECT path FROM org_units WHERE id = $1", in.UnitID).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(path) {
			return valid.New("unit_id", "not_found")
		}
		if err != nil {
			return err
		}
		var partner any
		if in.PartnerID != 0 {
			var ppath string
			err := tx.QueryRowContext(ctx, "SELECT u.path FROM partners p JOIN org_units u ON u.id = p.unit_id WHERE p.id = $1", in.PartnerID).Scan(&ppath)
			if errors.Is(err, sql.ErrNoRows) || err == nil && !strings.HasPrefix(ppath, path) {
				return valid.New("partner_id", "partner_in_unit")
			}
			if err != nil {
				return err
			}
			partner = in.PartnerID
		}
		now := s.now()
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO users (public_id, username, display_name, password_hash, role, unit_id, partner_id, lang, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			newPublicID(), in.Username, in.DisplayName, hash, string(in.Role), in.UnitID, partner, in.Lang, now).Scan(&id)
		if store.IsUnique(err) {
			return valid.New("username", "unique", in.Username)
		}
		if err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		if u, err = s.userWhere(ctx, tx, "us.id = $1", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "user", id, u.UnitID, nil, u)
	})
	return u, err
}

// ResetPassword sets a new password and clears any lock-out.
func (s *Service) ResetPassword(ctx context.Context, a access.Actor, username, password string) error {
	if err := a.Require(access.ManageUsers); err != nil {
		return err
	}
	if rule := CheckPasswordStrength(password); rule != "" {
		return valid.New("password", rule, "10")
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.userWhere(ctx, tx, "us.username = $1", strings.ToLower(strings.TrimSpace(username)))
		if err != nil || !a.Sees(u.UnitPath) {
			return fmt.Errorf("user %q: %w", username, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3",
			hash, s.now(), u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "reset_password", "user", u.ID, u.UnitID, nil, nil)
	})
}

// SetActive deactivates (or reactivates) an account in the actor's scope. A deactivated user's
// sessions and tokens stop working on their next request; nothing of theirs is deleted.
func (s *Service) SetActive(ctx context.Context, a access.Actor, userID int64, active bool) error {
	if err := a.Require(access.ManageUsers); err != nil {
		return err
	}
	if userID == a.UserID && !active {
		return valid.New("active", "not_self")
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.userWhere(ctx, tx, "us.id = $1", userID)
		if err != nil || !a.Sees(u.UnitPath) {
			return fmt.Errorf("user %d: %w", userID, store.ErrNotFound)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET active = $1, updated_at = $2 WHERE id = $3", active, s.now(), userID); err != nil {
			return err
		}
		action := "deactivate"
		if active {
			action = "activate"
		}
		return audit.Record(ctx, tx, a, action, "user", userID, u.UnitID, map[string]bool{"active": u.Active}, map[string]bool{"active": active})
	})
}

// Users lists the accounts in the actor's scope.
func (s *Service) Users(ctx context.Context, a access.Actor) ([]User, error) {
	if err := a.Require(access.ManageUsers); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+userCols+" FROM users us JOIN org_units un ON un.id = us.unit_id WHERE un.path LIKE $1 ORDER BY us.username", a.PathPattern())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Login checks a username and password. Failures count towards lock-out; a locked account
// refuses even the right password until the lock expires.
func (s *Service) Login(ctx context.Context, username, password string) (User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	u, err := s.userWhere(ctx, s.db.R, "us.username = $1", username)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check so usernames cannot be probed by timing.
		CheckPassword(dummyHash, password)
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	now := s.now()
	if !u.LockedUntil.IsZero() && now.Before(u.LockedUntil) {
		return u, ErrLocked
	}
	ok, err := CheckPassword(u.hash, password)
	if err != nil {
		return User{}, err
	}
	if !ok || !u.Active {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			failures := u.failures + 1
			var locked any
			if failures >= MaxFailures {
				locked = now.Add(LockFor)
				failures = 0
				if err := audit.Record(ctx, tx, u.Actor(), "lock", "user", u.ID, u.UnitID, nil, map[string]any{"locked_until": locked}); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, "UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3", failures, locked, u.ID)
			return err
		})
		if err != nil {
			return User{}, err
		}
		return User{}, ErrBadCredentials
	}
	if u.failures > 0 || !u.LockedUntil.IsZero() {
		if _, err := s.db.W.ExecContext(ctx, "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1", u.ID); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

var dummyHash, _ = HashPassword("timing-equaliser")

// SetLang stores the user's preferred language.
func (s *Service) SetLang(ctx context.Context, userID int64, lang string) error {
	if lang != "zh" && lang != "en" {
		return valid.New("lang", "one_of", "zh, en")
	}
	_, err := s.db.W.ExecContext(ctx, "UPDATE users SET lang = $1, updated_at = $2 WHERE id = $3", lang, s.now(), userID)
	return err
}

// Token is an API token's record; the secret itself is shown once at creation.
type Token struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used_at,omitempty"`
}

func hashToken(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateToken issues an API token for the actor and returns its secret.
func (s *Service) CreateToken(ctx context.Context, a access.Actor, name string) (string, error) {
	if err := a.Require(access.ManageOwnTokens); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", valid.New("name", "required")
	}
	b := make([]byte, 24)
	rand.Read(b)
	secret := "ting_" + hex.EncodeToString(b)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
			a.UserID, name, hashToken(secret), s.now()).Scan(&id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "api_token", id, a.UnitID, nil, map[string]string{"name": name})
	})
	return secret, err
}

// Tokens lists the actor's live tokens.
func (s *Service) Tokens(ctx context.Context, a access.Actor) ([]Token, error) {
	rows, err := s.db.R.QueryContext(ctx, "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id", a.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var last sql.NullTime
		if err := rows.Scan(&t.ID, &t.Name, &t.CreatedAt, &last); err != nil {
			return nil, err
		}
		t.LastUsed = last.Time
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes one of the actor's tokens.
func (s *Service) RevokeToken(ctx context.Context, a access.Actor, id int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL", s.now(), id, a.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, a, "revoke", "api_token", id, a.UnitID, nil, nil)
	})
}

// Authenticate resolves an API token secret to its user.
func (s *Service) Authenticate(ctx context.Context, secret string) (User, error) {
	var userID, tokenID int64
	err := s.db.R.QueryRowContext(ctx, "SELECT id, user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL", hashToken(secret)).Scan(&tokenID, &userID)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil || !u.Active {
		return User{}, ErrBadCredentials
	}
	s.db.W.ExecContext(ctx, "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", s.now(), tokenID)
	return u, nil
}

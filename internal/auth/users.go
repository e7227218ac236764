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
	UnitCode    string      `json:"unit_code"`
	UnitPath    string      `json:"-"`
	UnitNameZH  string      `json:"-"`
	UnitNameEN  string      `json:"-"`
	PartnerID   int64       `json:"partner_id,omitempty"`
	Lang        string      `json:"lang,omitempty"`
	Active      bool        `json:"active"`
	LockedUntil time.Time   `json:"-"`
	hash        string
	failures    int
}

// UnitName is the name of the user's unit in lang ("zh" or "en"), falling back to the other.
func (u User) UnitName(lang string) string {
	if lang == "en" && u.UnitNameEN != "" || u.UnitNameZH == "" {
		return u.UnitNameEN
	}
	return u.UnitNameZH
}

// LockedAt reports whether the account is locked out at t.
func (u User) LockedAt(t time.Time) bool { return !u.LockedUntil.IsZero() && t.Before(u.LockedUntil) }

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

const userCols = `us.id, us.public_id, us.username, us.display_name, us.role, us.unit_id, un.code, un.path, un.name_zh, un.name_en,
	COALESCE(us.partner_id, 0), us.lang, us.active, us.locked_until, us.password_hash, us.failed_logins`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var locked sql.NullTime
	err := sc.Scan(&u.ID, &u.PublicID, &u.Username, &u.DisplayName, &u.Role, &u.UnitID, &u.UnitCode, &u.UnitPath, &u.UnitNameZH, &u.UnitNameEN,
		&u.PartnerID, &u.Lang, &u.Active, &locked, &u.hash, &u.failures)
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

// Length limits of an account's fields, in characters.
const (
	MaxUsername    = 64
	MaxDisplayName = 100
	MaxUnitCode    = 64
)

// UserInput creates an account. The unit is named by its code (UnitCode) or, when no code is
// given, by its id (UnitID).
type UserInput struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Password    string      `json:"password,omitempty"`
	Role        access.Role `json:"role"`
	UnitID      int64       `json:"unit_id"`
	UnitCode    string      `json:"unit_code,omitempty"`
	PartnerID   int64       `json:"partner_id"`
	Lang        string      `json:"lang"`
}

// CheckUserInput validates the fields of a new account.
func CheckUserInput(in UserInput) valid.Errors {
	var es valid.Errors
	if es.Required("username", in.Username) {
		es.MaxLen("username", in.Username, MaxUsername)
		if strings.ContainsAny(in.Username, " \t/") {
			es.Add("username", "code_chars")
		}
	}
	checkAccount(&es, in.DisplayName, in.Role, in.UnitID, in.UnitCode)
	checkPassword(&es, "password", in.Password)
	if in.Lang != "" {
		es.OneOf("lang", in.Lang, []string{"zh", "en"})
	}
	return es
}

// checkAccount checks the fields an account's creation and its later edits share.
func checkAccount(es *valid.Errors, displayName string, role access.Role, unitID int64, unitCode string) {
	if es.Required("display_name", displayName) {
		es.MaxLen("display_name", displayName, MaxDisplayName)
	}
	if !role.Valid() {
		es.Add("role", "one_of", strings.Join(roleNames(), ", "))
	}
	if unitCode != "" {
		es.MaxLen("unit_code", unitCode, MaxUnitCode)
	} else if unitID == 0 {
		es.Add("unit_code", "required")
	}
}

// boundUnit is the unit an account is bound to, as checked for the actor.
type boundUnit struct {
	id   int64
	path string
}

// bindUnit resolves the unit an account is to be bound to, by code (when given) or id, and
// checks that it exists, lies in the actor's subtree and is open. An administrator can never
// bind an account, and so grant access, outside their own subtree.
func bindUnit(ctx context.Context, tx *sql.Tx, a access.Actor, id int64, code string) (boundUnit, error) {
	var u boundUnit
	var closed sql.NullString
	if code != "" {
		err := tx.QueryRowContext(ctx, "SELECT id, path, closed_on FROM org_units WHERE code = $1", code).Scan(&u.id, &u.path, &closed)
		if errors.Is(err, sql.ErrNoRows) && strings.ToUpper(code) != code {
			// Codes are written in capitals; one typed in small letters still finds its unit.
			err = tx.QueryRowContext(ctx, "SELECT id, path, closed_on FROM org_units WHERE code = $1", strings.ToUpper(code)).Scan(&u.id, &u.path, &closed)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return u, valid.New("unit_code", "user_unit_unknown", code)
		case err != nil:
			return u, err
		case !a.Sees(u.path):
			return u, valid.New("unit_code", "user_unit_outside", code)
		case closed.Valid && closed.String != "":
			return u, valid.New("unit_code", "user_unit_closed", closed.String)
		}
		return u, nil
	}
	err := tx.QueryRowContext(ctx, "SELECT id, path, closed_on FROM org_units WHERE id = $1", id).Scan(&u.id, &u.path, &closed)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(u.path):
		return u, valid.New("unit_id", "not_found")
	case err != nil:
		return u, err
	case closed.Valid && closed.String != "":
		return u, valid.New("unit_id", "user_unit_closed", closed.String)
	}
	return u, nil
}

// checkPartner checks that partnerID (0: none) is a partner within the account's unit, and
// that an agency reporter has one (a reporter writes its agency's reports; one of no agency would
// write none, or, read loosely, every agency's), and returns the value to store.
func checkPartner(ctx context.Context, tx *sql.Tx, role access.Role, partnerID int64, unit boundUnit) (any, error) {
	if partnerID == 0 {
		if role == access.AgencyReporter {
			return nil, valid.New("partner_id", "required_for_reporter")
		}
		return nil, nil
	}
	var ppath string
	err := tx.QueryRowContext(ctx, "SELECT u.path FROM partners p JOIN org_units u ON u.id = p.unit_id WHERE p.id = $1", partnerID).Scan(&ppath)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !strings.HasPrefix(ppath, unit.path) {
		return nil, valid.New("partner_id", "partner_in_unit")
	}
	if err != nil {
		return nil, err
	}
	return partnerID, nil
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
	in.UnitCode = strings.TrimSpace(in.UnitCode)
	if es := CheckUserInput(in); es.Err() != nil {
		return User{}, es
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		unit, err := bindUnit(ctx, tx, a, in.UnitID, in.UnitCode)
		if err != nil {
			return err
		}
		partner, err := checkPartner(ctx, tx, in.Role, in.PartnerID, unit)
		if err != nil {
			return err
		}
		now := s.now()
		var id int64
		err = tx.QueryRowContext(ctx, `INSERT INTO users (public_id, username, display_name, password_hash, role, unit_id, partner_id, lang, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
			newPublicID(), in.Username, in.DisplayName, hash, string(in.Role), unit.id, partner, in.Lang, now).Scan(&id)
		if store.IsUnique(err) {
			// The username goes to the message as typed, never as a message id.
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

// User returns one account in the actor's scope; others are not found.
func (s *Service) User(ctx context.Context, a access.Actor, id int64) (User, error) {
	if err := a.Require(access.ManageUsers); err != nil {
		return User{}, err
	}
	u, err := s.userWhere(ctx, s.db.R, "us.id = $1", id)
	if err != nil || !a.Sees(u.UnitPath) {
		return User{}, fmt.Errorf("user %d: %w", id, store.ErrNotFound)
	}
	return u, nil
}

// UserEdit changes an account: everything but its username and password. The unit is named by
// its code (UnitCode) or, when no code is given, by its id (UnitID).
type UserEdit struct {
	DisplayName string      `json:"display_name"`
	Role        access.Role `json:"role"`
	UnitID      int64       `json:"unit_id"`
	UnitCode    string      `json:"unit_code,omitempty"`
	PartnerID   int64       `json:"partner_id"`
	Active      bool        `json:"active"`
}

// CheckUserEdit validates the fields of an edit.
func CheckUserEdit(in UserEdit) valid.Errors {
	var es valid.Errors
	checkAccount(&es, in.DisplayName, in.Role, in.UnitID, in.UnitCode)
	return es
}

// UpdateUser changes an account in the actor's scope, and may move it only to a unit in that
// scope. Administrators cannot change their own role or unit, nor deactivate themselves: that
// is for another administrator, so nobody locks themselves out by mistake.
func (s *Service) UpdateUser(ctx context.Context, a access.Actor, id int64, in UserEdit) (User, error) {
	if err := a.Require(access.ManageUsers); err != nil {
		return User{}, err
	}
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	in.UnitCode = strings.TrimSpace(in.UnitCode)
	if es := CheckUserEdit(in); es.Err() != nil {
		return User{}, es
	}
	var after User
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.userWhere(ctx, tx, "us.id = $1", id)
		if err != nil || !a.Sees(before.UnitPath) {
			return fmt.Errorf("user %d: %w", id, store.ErrNotFound)
		}
		unit, err := bindUnit(ctx, tx, a, in.UnitID, in.UnitCode)
		if err != nil {
			return err
		}
		if id == a.UserID {
			var es valid.Errors
			if in.Role != before.Role {
				es.Add("role", "user_not_self")
			}
			if unit.id != before.UnitID {
				es.Add("unit_code", "user_not_self")
			}
			if !in.Active {
				es.Add("active", "not_self")
			}
			if es.Err() != nil {
				return es
			}
		}
		partner, err := checkPartner(ctx, tx, in.Role, in.PartnerID, unit)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE users SET display_name = $1, role = $2, unit_id = $3, partner_id = $4, active = $5, updated_at = $6 WHERE id = $7",
			in.DisplayName, string(in.Role), unit.id, partner, in.Active, s.now(), id); err != nil {
			return fmt.Errorf("update user: %w", err)
		}
		if after, err = s.userWhere(ctx, tx, "us.id = $1", id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "update", "user", id, after.UnitID, before, after)
	})
	return after, err
}

// ResetPassword sets a new password for the user named username and clears any lock-out (the
// command line's reset).
func (s *Service) ResetPassword(ctx context.Context, a access.Actor, username, password string) error {
	if err := a.Require(access.ManageUsers); err != nil {
		return err
	}
	u, err := s.userWhere(ctx, s.db.R, "us.username = $1", strings.ToLower(strings.TrimSpace(username)))
	if err != nil || !a.Sees(u.UnitPath) {
		return fmt.Errorf("user %q: %w", username, store.ErrNotFound)
	}
	if password == "" {
		return valid.New("new_password", "required")
	}
	_, err = s.resetPassword(ctx, a, u.ID, password, "")
	return err
}

// ResetUserPassword sets a new password for an account in the actor's scope, clears any
// lock-out and ends the account's sessions, so whoever held them must sign in with the new
// password. An empty password asks for a generated one. It returns the password set: a
// generated one is shown to the administrator once and stored nowhere else. Administrators
// change their own password on their account page, which asks for the current one.
func (s *Service) ResetUserPassword(ctx context.Context, a access.Actor, userID int64, password string) (string, error) {
	if err := a.Require(access.ManageUsers); err != nil {
		return "", err
	}
	if userID == a.UserID && a.UserID != 0 {
		return "", valid.New("new_password", "user_reset_self")
	}
	return s.resetPassword(ctx, a, userID, password, "")
}

func (s *Service) resetPassword(ctx context.Context, a access.Actor, userID int64, password, keepSession string) (string, error) {
	generated := password == ""
	if generated {
		password = GeneratePassword()
	}
	var es valid.Errors
	if checkPassword(&es, "new_password", password); es.Err() != nil {
		return "", es
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		u, err := s.userWhere(ctx, tx, "us.id = $1", userID)
		if err != nil || !a.Sees(u.UnitPath) {
			return fmt.Errorf("user %d: %w", userID, store.ErrNotFound)
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3",
			hash, now, u.ID); err != nil {
			return err
		}
		ended, err := endUserSessions(ctx, tx, u.ID, keepSession)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "reset_password", "user", u.ID, u.UnitID,
			map[string]bool{"locked": u.LockedAt(now)}, map[string]any{"locked": false, "generated": generated, "sessions_ended": ended})
	})
	if err != nil {
		return "", err
	}
	return password, nil
}

// PasswordChange is a user's change of their own password: the current one, and the new one
// typed twice.
type PasswordChange struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
	Again   string `json:"new_password_again"`
}

// ChangePassword changes the actor's own password. The current password must be given; a wrong
// one counts towards lock-out like a failed login. The new one follows the rules of any new
// password. Every other session of the user ends (keepSession is the token of the session
// making the change, which stays signed in).
func (s *Service) ChangePassword(ctx context.Context, a access.Actor, in PasswordChange, keepSession string) error {
	if a.UserID == 0 {
		return access.ErrForbidden
	}
	var es valid.Errors
	es.Required("current_password", in.Current)
	checkPassword(&es, "new_password", in.New)
	if in.Again != in.New {
		es.Add("new_password_again", "user_password_mismatch")
	}
	if es.Err() != nil {
		return es
	}
	u, err := s.userWhere(ctx, s.db.R, "us.id = $1", a.UserID)
	if err != nil {
		return err
	}
	now := s.now()
	if u.LockedAt(now) {
		return valid.New("current_password", "user_locked", u.LockedUntil.UTC().Format("15:04 UTC"))
	}
	ok, err := CheckPassword(u.hash, in.Current)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.recordFailure(ctx, u, now); err != nil {
			return err
		}
		return valid.New("current_password", "user_password_wrong")
	}
	if in.New == in.Current {
		return valid.New("new_password", "user_password_same")
	}
	hash, err := HashPassword(in.New)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The hash read above must still be current: two changes at once cannot both pass on
		// the same old password.
		res, err := tx.ExecContext(ctx, "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3 AND password_hash = $4",
			hash, now, u.ID, u.hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return valid.New("current_password", "user_password_wrong")
		}
		ended, err := endUserSessions(ctx, tx, u.ID, keepSession)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "change_password", "user", u.ID, u.UnitID, nil, map[string]int{"sessions_ended": ended})
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

// Users lists every account in the actor's scope, by username.
func (s *Service) Users(ctx context.Context, a access.Actor) ([]User, error) {
	list, _, err := s.FindUsers(ctx, a, UserQuery{})
	return list, err
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
		if err := s.recordFailure(ctx, u, now); err != nil {
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

// recordFailure counts a wrong password towards lock-out: at MaxFailures the account locks for
// LockFor, and the lock is audited.
func (s *Service) recordFailure(ctx context.Context, u User, now time.Time) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
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
}

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

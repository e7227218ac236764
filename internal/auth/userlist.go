package auth

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"ting/internal/access"
	"ting/internal/store"
	"ting/internal/valid"
)

// UserQuery narrows the account list. A programme with a Women's Home or school in every
// county has thousands of accounts, so the list is searched and read a page at a time.
type UserQuery struct {
	Text     string      // part of the username or the display name, in any case (of ASCII letters on SQLite, whose LOWER knows no others)
	Role     access.Role // one role, or all
	UnitCode string      // accounts of this unit and the units below it
	Status   string      // "active", "inactive", or both
	Limit    int         // 0: all
	Offset   int
}

// UserStatuses are the values UserQuery.Status takes besides "".
var UserStatuses = []string{"active", "inactive"}

func roleNames() []string {
	names := make([]string, len(access.Roles))
	for i, r := range access.Roles {
		names[i] = string(r)
	}
	return names
}

// likePattern makes a LIKE pattern that finds text anywhere, with the pattern characters in
// text taken literally (escaped with '\').
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(text)) + "%"
}

// FindUsers lists the accounts in the actor's scope that match q, by username, and how many
// match in all.
func (s *Service) FindUsers(ctx context.Context, a access.Actor, q UserQuery) ([]User, int, error) {
	if err := a.Require(access.ManageUsers); err != nil {
		return nil, 0, err
	}
	var es valid.Errors
	if q.Role != "" && !q.Role.Valid() {
		es.Add("role", "one_of", strings.Join(roleNames(), ", "))
	}
	if q.Status != "" {
		es.OneOf("account_status", q.Status, UserStatuses)
	}
	if err := es.Err(); err != nil {
		return nil, 0, err
	}
	cond := []string{"un.path LIKE $1"}
	args := []any{a.PathPattern()}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if text := strings.TrimSpace(q.Text); text != "" {
		p := arg(likePattern(text))
		cond = append(cond, "(LOWER(us.username) LIKE "+p+` ESCAPE '\' OR LOWER(us.display_name) LIKE `+p+` ESCAPE '\')`)
	}
	if q.Role != "" {
		cond = append(cond, "us.role = "+arg(string(q.Role)))
	}
	if code := strings.TrimSpace(q.UnitCode); code != "" {
		var path string
		err := s.db.R.QueryRowContext(ctx, "SELECT path FROM org_units WHERE code = $1 OR code = $2 ORDER BY code = $1 DESC LIMIT 1", code, strings.ToUpper(code)).Scan(&path)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, 0, err
		}
		if err != nil || !a.Sees(path) {
			return nil, 0, valid.New("unit_code", "not_found", code)
		}
		cond = append(cond, "un.path LIKE "+arg(path+"%"))
	}
	switch q.Status {
	case "active":
		cond = append(cond, "us.active = "+arg(true))
	case "inactive":
		cond = append(cond, "us.active = "+arg(false))
	}
	from := " FROM users us JOIN org_units un ON un.id = us.unit_id WHERE " + strings.Join(cond, " AND ")
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*)"+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+userCols+from+" ORDER BY us.username"+store.Page(q.Limit, q.Offset), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	return out, total, rows.Err()
}

package store

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrNotFound is returned by domain lookups that match no row.
var ErrNotFound = errors.New("not found")

// IsUnique reports whether err is a unique-constraint violation on either database.
func IsUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsForeignKey reports whether err is a foreign-key violation on either database.
func IsForeignKey(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23503"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}

// IsBusy reports whether err is SQLite's "database is locked/busy" (or a PostgreSQL
// serialization failure), which is worth retrying.
func IsBusy(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return err != nil && strings.Contains(err.Error(), "database is locked")
}

// IsLockNotAvailable reports whether err is PostgreSQL's refusal of a lock asked for with
// NOWAIT (SQLSTATE 55P03).
func IsLockNotAvailable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// ConstraintName returns the violated constraint's name where the driver reports one
// (PostgreSQL), or the "table.column" list SQLite puts in its message.
func ConstraintName(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		msg := se.Error()
		if i := strings.LastIndex(msg, "failed: "); i >= 0 {
			return strings.TrimSuffix(strings.TrimSpace(msg[i+len("failed: "):]), ")")
		}
	}
	return ""
}

// Package config reads Ting's settings from command-line flags, each with a TING_* environment
// variable as its default, so the same binary runs from a terminal, a service unit or CI.
package config

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
)

// Config is the settings every command shares.
type Config struct {
	Addr     string // --addr / TING_ADDR
	Data     string // --data / TING_DATA: directory of the embedded SQLite database
	Database string // --database / TING_DATABASE_URL: postgres://… to use PostgreSQL
	LogJSON  bool   // --log-json / TING_LOG_JSON
	Secure   bool   // --secure-cookies / TING_SECURE_COOKIES

	// E-mail reminders; no e-mail is sent while SMTPAddr is empty.
	SMTPAddr     string // --smtp-addr / TING_SMTP_ADDR: host:port of the mail server
	SMTPFrom     string // --smtp-from / TING_SMTP_FROM: sender address, "Ting <ting@example.org>"
	SMTPUser     string // --smtp-user / TING_SMTP_USER: AUTH PLAIN user; empty for no AUTH
	SMTPPassword string // TING_SMTP_PASSWORD only, so it never shows in a process list
	// Keys is the file of personal-data keys ("version:base64" per line; --keys /
	// TING_KEYS_FILE; default <data>/keys). TING_KEYS, when set, holds the keys themselves and
	// wins. The keys are never stored in the database.
	Keys       string
	KeysInline string
	// RetentionMonths is how long a card may stay inactive before `ting retention apply`
	// anonymises it (--retention-months / TING_RETENTION_MONTHS).
	RetentionMonths int
	// RemindAfter is how many days a report may wait on its reviewer or approver before they
	// are reminded (--remind-after / TING_REMIND_AFTER_DAYS).
	RemindAfter int
	// ReachCacheMB is the memory, in MiB, that counts may keep decoded reach bitmaps in
	// (--reach-cache-mb / TING_REACH_CACHE_MB; 0 reads every bitmap from the database).
	ReachCacheMB int
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		n, err := strconv.Atoi(v)
		if err == nil {
			return n
		}
	}
	return def
}

func envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(name); ok {
		b, err := strconv.ParseBool(v)
		if err == nil {
			return b
		}
	}
	return def
}

// Register adds the shared flags to fs; values are read after fs.Parse.
func Register(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Addr, "addr", env("TING_ADDR", "127.0.0.1:8080"), "listen address (TING_ADDR)")
	fs.StringVar(&c.Data, "data", env("TING_DATA", "data"), "data directory for the embedded SQLite database (TING_DATA)")
	fs.StringVar(&c.Database, "database", env("TING_DATABASE_URL", ""), "PostgreSQL URL, postgres://…; empty for embedded SQLite (TING_DATABASE_URL)")
	fs.BoolVar(&c.LogJSON, "log-json", envBool("TING_LOG_JSON", false), "write logs as JSON (TING_LOG_JSON)")
	fs.BoolVar(&c.Secure, "secure-cookies", envBool("TING_SECURE_COOKIES", false), "mark cookies Secure when served over HTTPS (TING_SECURE_COOKIES)")
	fs.StringVar(&c.SMTPAddr, "smtp-addr", env("TING_SMTP_ADDR", ""), "mail server host:port for e-mail reminders; empty sends none (TING_SMTP_ADDR)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", env("TING_SMTP_FROM", ""), "sender of e-mail reminders, e.g. \"Ting <ting@example.org>\" (TING_SMTP_FROM)")
	fs.StringVar(&c.SMTPUser, "smtp-user", env("TING_SMTP_USER", ""), "user for SMTP AUTH PLAIN; the password comes from TING_SMTP_PASSWORD (TING_SMTP_USER)")
	c.SMTPPassword = env("TING_SMTP_PASSWORD", "")
	fs.StringVar(&c.Keys, "keys", env("TING_KEYS_FILE", ""), "file of personal-data encryption keys, version:base64 per line; default <data>/keys (TING_KEYS_FILE; TING_KEYS holds the keys inline)")
	c.KeysInline = env("TING_KEYS", "")
	fs.IntVar(&c.RetentionMonths, "retention-months", envInt("TING_RETENTION_MONTHS", DefaultRetentionMonths),
		"months a beneficiary card may stay inactive before retention anonymises it (TING_RETENTION_MONTHS)")
	fs.IntVar(&c.RemindAfter, "remind-after", envInt("TING_REMIND_AFTER_DAYS", DefaultRemindAfter),
		"days a report may wait on review or approval before the reviewer is reminded (TING_REMIND_AFTER_DAYS)")
	fs.IntVar(&c.ReachCacheMB, "reach-cache-mb", envInt("TING_REACH_CACHE_MB", DefaultReachCacheMB),
		"MiB of memory counts may keep decoded reach bitmaps in; 0 reads them from the database each time (TING_REACH_CACHE_MB)")
	return c
}

// DefaultReachCacheMB holds the attribute bitmaps of ten million people and the national and
// provincial bitmaps of a few years.
const DefaultReachCacheMB = 256

// DefaultRetentionMonths keeps inactive cards identifiable for five years: beyond the project
// cycle and its final evaluation.
const DefaultRetentionMonths = 60

// KeysFile is the key file in use: --keys, or "keys" in the data directory.
func (c *Config) KeysFile() string {
	if c.Keys != "" {
		return c.Keys
	}
	return filepath.Join(c.Data, "keys")
}

// DefaultRemindAfter is the days a submitted or reviewed report waits before its reviewer or
// approver is reminded, when no setting is given: two weeks.
const DefaultRemindAfter = 14

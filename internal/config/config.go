// Package config reads Ting's settings from command-line flags, each with a TING_* environment
// variable as its default, so the same binary runs from a terminal, a service unit or CI.
package config

import (
	"flag"
	"os"
	"strconv"
)

// Config is the settings every command shares.
type Config struct {
	Addr     string // --addr / TING_ADDR
	Data     string // --data / TING_DATA: directory of the embedded SQLite database
	Database string // --database / TING_DATABASE_URL: postgres://… to use PostgreSQL
	LogJSON  bool   // --log-json / TING_LOG_JSON
	Secure   bool   // --secure-cookies / TING_SECURE_COOKIES
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
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
	return c
}

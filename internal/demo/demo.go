// Package demo builds the demonstration programme, CP-TING Phase II, from the seed documents:
// its network, partners, steering committees, offices and staff, and one login per role. Load
// is idempotent: records are found by code and created only when missing.
package demo

import (
	"context"
	"errors"
	"fmt"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/valid"
)

// Credential is a demonstration login printed at start.
type Credential struct {
	Role     access.Role
	Username string
	Password string
	Unit     string
}

// Password is the demonstration accounts' password (they exist only in demo databases).
const Password = "ting-demo-2012"

type loader struct {
	db   *store.DB
	org  *org.Service
	auth *auth.Service
	a    access.Actor
}

// Load creates whatever of the demonstration programme is missing and returns the logins.
func Load(ctx context.Context, db *store.DB) ([]Credential, error) {
	l := &loader{db: db, org: org.New(db), auth: auth.New(db), a: access.System}
	if err := l.network(ctx); err != nil {
		return nil, err
	}
	return l.users(ctx)
}

// unit returns the unit with code, creating it under parent when missing.
func (l *loader) unit(ctx context.Context, code string, level org.Level, parent int64, zh, en, opened string, tags ...string) (org.Unit, error) {
	u, err := l.org.UnitByCode(ctx, l.a, code)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return u, err
	}
	u, err = l.org.CreateUnit(ctx, l.a, org.UnitInput{Code: code, Level: level, ParentID: parent, NameZH: zh, NameEN: en, Tags: tags, Effective: opened})
	if err != nil {
		return u, fmt.Errorf("unit %s: %w", code, err)
	}
	return u, nil
}

func (l *loader) network(ctx context.Context) error {
	cn, err := l.unit(ctx, "CN", org.National, 0, "全国", "National", "2010-01-01")
	if err != nil {
		return err
	}
	for _, p := range provinces {
		if _, err := l.unit(ctx, p.code, org.Provincial, cn.ID, p.zh, p.en, "2010-01-01", p.tags...); err != nil {
			return err
		}
	}
	return nil
}

type province struct {
	code, zh, en string
	tags         []string
}

var provinces = []province{
	{"AH", "安徽省", "Anhui", []string{"pilot", "sending"}},
	{"YN", "云南省", "Yunnan", []string{"pilot", "sending"}},
	{"GZ", "贵州省", "Guizhou", []string{"pilot", "sending"}},
	{"HN", "湖南省", "Hunan", []string{"pilot", "sending"}},
	{"JS", "江苏省", "Jiangsu", []string{"pilot", "receiving"}},
	{"FJ", "福建省", "Fujian", []string{"pilot", "receiving"}},
	{"SC", "四川省", "Sichuan", []string{"light", "sending"}},
	{"GD", "广东省", "Guangdong", []string{"light", "receiving"}},
}

type demoUser struct {
	role     access.Role
	username string
	name     string
	unit     string
}

var demoUsers = []demoUser{
	{access.NationalAdmin, "admin", "National administrator", "CN"},
	{access.NationalOfficer, "national", "Guo Jia", "CN"},
	{access.ProvincialOfficer, "anhui", "Anhui provincial officer", "AH"},
	{access.ProvincialOfficer, "jiangsu", "Jiangsu provincial officer", "JS"},
	{access.AgencyReporter, "agency", "Women's Home reporter", "JS"},
	{access.Caseworker, "caseworker", "Caseworker", "JS"},
	{access.CommitteeMember, "committee", "Steering committee member", "YN"},
	{access.Donor, "donor", "Donor officer", "CN"},
	{access.Evaluator, "evaluator", "Laurence Phillips", "CN"},
}

func (l *loader) users(ctx context.Context) ([]Credential, error) {
	var out []Credential
	for _, du := range demoUsers {
		u, err := l.org.UnitByCode(ctx, l.a, du.unit)
		if err != nil {
			return nil, err
		}
		_, err = l.auth.CreateUser(ctx, l.a, auth.UserInput{Username: du.username, DisplayName: du.name, Password: Password, Role: du.role, UnitID: u.ID})
		if err != nil && !isDuplicate(err) {
			return nil, fmt.Errorf("user %s: %w", du.username, err)
		}
		out = append(out, Credential{Role: du.role, Username: du.username, Password: Password, Unit: u.NameEN})
	}
	return out, nil
}

func isDuplicate(err error) bool {
	es, ok := valid.As(err)
	if !ok {
		return false
	}
	_, dup := es.For("username")
	return dup && es[0].Rule == "unique"
}

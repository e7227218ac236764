// Package demo builds the demonstration programme, CP-TING Phase II, from the seed documents:
// its network, partners, steering committees, offices and staff, and one login per role. Load
// is idempotent: records are found by code (units, partners, users) or by their unit and name
// (committees, offices, members, positions, meetings) and created only when missing. It writes
// only through internal/org and internal/auth, so the rules and the audit log apply.
package demo

import (
	"context"
	"fmt"
	"slices"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/store"
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
	db       *store.DB
	org      *org.Service
	auth     *auth.Service
	a        access.Actor
	units    map[string]org.Unit
	partners map[string]org.Partner
	names    *namer
}

// Load creates whatever of the demonstration programme is missing and returns the logins.
func Load(ctx context.Context, db *store.DB) ([]Credential, error) {
	l := &loader{db: db, org: org.New(db), auth: auth.New(db), a: access.System, names: newNamer()}
	if err := l.index(ctx); err != nil {
		return nil, fmt.Errorf("demo: read existing records: %w", err)
	}
	steps := []struct {
		what string
		run  func(context.Context) error
	}{
		{"network", l.network},
		{"network history", l.history},
		{"partners", l.partnersAll},
		{"steering committees", l.committees},
		{"project offices", l.offices},
		{"results framework", l.results},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return nil, fmt.Errorf("demo %s: %w", s.what, err)
		}
	}
	creds, err := l.users(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo users: %w", err)
	}
	if err := l.plansAll(ctx); err != nil {
		return nil, fmt.Errorf("demo plans and money: %w", err)
	}
	return creds, nil
}

// index reads the units and partners already present once, so that a second Load costs a
// couple of queries rather than one per record.
func (l *loader) index(ctx context.Context) error {
	l.units = map[string]org.Unit{}
	l.partners = map[string]org.Partner{}
	us, _, err := l.org.Units(ctx, l.a, org.UnitQuery{IncludeAll: true, Limit: 1000})
	if err != nil {
		return err
	}
	for _, u := range us {
		l.units[u.Code] = u
	}
	ps, _, err := l.org.Partners(ctx, l.a, org.PartnerQuery{Inactive: true, Limit: 1000})
	if err != nil {
		return err
	}
	for _, p := range ps {
		l.partners[p.Code] = p
	}
	return nil
}

// unitOf returns a unit of the demo network that must already exist.
func (l *loader) unitOf(code string) (org.Unit, error) {
	u, ok := l.units[code]
	if !ok {
		return org.Unit{}, fmt.Errorf("unit %s is not in the demo network", code)
	}
	return u, nil
}

type demoUser struct {
	role     access.Role
	username string
	name     string
	unit     string // unit code
	partner  string // partner code the account reports for, if any
}

// The agency reporter and the caseworker sit at the Helie Women's Home in Wuxi: the reporter
// reports for that partner, the caseworker sees that community.
var demoUsers = []demoUser{
	{access.NationalAdmin, "admin", "National administrator", "CN", ""},
	{access.NationalOfficer, "national", "Guo Jia", "CN", ""},
	{access.ProvincialOfficer, "anhui", "Anhui provincial officer", "AH", ""},
	{access.ProvincialOfficer, "jiangsu", "Jiangsu provincial officer", "JS", ""},
	{access.AgencyReporter, "agency", "Helie Women's Home reporter", reporterHome, reporterHome + "-WH"},
	{access.Caseworker, "caseworker", "Helie Women's Home caseworker", reporterHome, ""},
	{access.CommitteeMember, "committee", "Yunnan steering committee member", "YN", ""},
	{access.Donor, "donor", "CIDA programme officer", "CN", ""},
	{access.Evaluator, "evaluator", "Laurence Phillips", "CN", ""},
}

// reporterHome is the community of the Jiangsu Women's Home the agency accounts belong to.
const reporterHome = "JS-WX-BH-01"

func (l *loader) users(ctx context.Context) ([]Credential, error) {
	existing, err := l.auth.Users(ctx, l.a)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, u := range existing {
		have[u.Username] = true
	}
	ordered := slices.Clone(demoUsers)
	slices.SortStableFunc(ordered, func(x, y demoUser) int {
		return slices.Index(access.Roles, x.role) - slices.Index(access.Roles, y.role)
	})
	var out []Credential
	for _, du := range ordered {
		u, err := l.unitOf(du.unit)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", du.username, err)
		}
		var partnerID int64
		if du.partner != "" {
			p, ok := l.partners[du.partner]
			if !ok {
				return nil, fmt.Errorf("user %s: partner %s is not in the demo", du.username, du.partner)
			}
			partnerID = p.ID
		}
		// Checking first spares a password hash per account on every later start.
		if !have[du.username] {
			_, err = l.auth.CreateUser(ctx, l.a, auth.UserInput{Username: du.username, DisplayName: du.name, Password: Password,
				Role: du.role, UnitID: u.ID, PartnerID: partnerID})
			if err != nil {
				return nil, fmt.Errorf("user %s: %w", du.username, err)
			}
		}
		out = append(out, Credential{Role: du.role, Username: du.username, Password: Password, Unit: u.NameEN})
	}
	return out, nil
}

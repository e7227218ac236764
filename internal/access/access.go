// Package access defines who may do what: the roles of the programme network, their
// permissions, and the Actor every domain call receives. Scope is an organisation subtree,
// identified by the materialised path of the actor's unit. It holds no storage and no HTTP.
package access

import (
	"errors"
	"strings"
)

// ErrForbidden means the actor lacks the permission for an action. Records outside the
// actor's subtree are reported as not found instead, so their existence does not leak.
var ErrForbidden = errors.New("forbidden")

// Role is what a user does in the programme.
type Role string

const (
	NationalAdmin     Role = "national_admin"
	NationalOfficer   Role = "national_officer"
	ProvincialOfficer Role = "provincial_officer"
	AgencyReporter    Role = "agency_reporter"
	Caseworker        Role = "caseworker"
	CommitteeMember   Role = "committee_member"
	Donor             Role = "donor"
	Evaluator         Role = "evaluator"
)

// Roles lists every role in display order.
var Roles = []Role{NationalAdmin, NationalOfficer, ProvincialOfficer, AgencyReporter, Caseworker, CommitteeMember, Donor, Evaluator}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Permission names one kind of action.
type Permission string

const (
	ViewNetwork     Permission = "network.view"       // units, partners, committees, offices
	EditUnits       Permission = "units.edit"         // create, rename, move, close units
	EditPartners    Permission = "partners.edit"      // partners
	EditCommittees  Permission = "committees.edit"    // committees, members, meetings
	EditOffices     Permission = "offices.edit"       // project offices and staff
	ImportNetwork   Permission = "network.import"     // CSV/XLSX import of units and partners
	ManageUsers     Permission = "users.manage"       // accounts and their scope
	ViewAudit       Permission = "audit.view"         // the audit log
	ManageOwnTokens Permission = "tokens.own"         // API tokens for oneself
	ViewResults     Permission = "results.view"       // frameworks, indicators, targets, progress
	EditResults     Permission = "results.edit"       // frameworks, indicators, targets
	EnterValues     Permission = "values.enter"       // indicator values
	ViewPlans       Permission = "plans.view"         // work plans, interventions, reports, funding
	EditPlans       Permission = "plans.edit"         // work plans, interventions, rates, in-kind contributions
	FillReports     Permission = "reports.fill"       // write and submit an agency's reports
	ReviewReports   Permission = "reports.review"     // provincial review of submitted reports
	ApproveReports  Permission = "reports.approve"    // approve or return reviewed reports
	ReleaseFunds    Permission = "funds.release"      // record the release of a tranche
	ViewReach       Permission = "reach.view"         // aggregate reach, drift, measured change, feedback summaries
	ViewCards       Permission = "cards.view"         // beneficiary cards, pseudonymous (no protected field)
	EditCards       Permission = "cards.edit"         // register cards; consent, services, feedback, measurements
	IdentifyCards   Permission = "cards.identify"     // read protected fields (name, contacts), each read logged
	MergeCards      Permission = "cards.merge"        // merge a likely duplicate into its card
	Refer           Permission = "referrals.make"     // refer a card and answer referrals
	OverrideConsent Permission = "referrals.override" // refer without referral consent (logged)
	ViewAccessLog   Permission = "cards.accesslog"    // the log of reads of protected fields
	EraseCards      Permission = "cards.erase"        // anonymise a card on the person's request
	EditInstruments Permission = "instruments.edit"   // measurement instruments
)

var grants = map[Role][]Permission{
	NationalAdmin: {ViewNetwork, EditUnits, EditPartners, EditCommittees, EditOffices, ImportNetwork, ManageUsers, ViewAudit, ManageOwnTokens, ViewResults, EditResults, EnterValues,
		ViewPlans, EditPlans, ApproveReports, ReleaseFunds,
		ViewReach, ViewCards, EditCards, MergeCards, Refer, OverrideConsent, ViewAccessLog, EraseCards, EditInstruments},
	NationalOfficer: {ViewNetwork, EditUnits, EditPartners, EditCommittees, EditOffices, ImportNetwork, ManageOwnTokens, ViewResults, EditResults, EnterValues,
		ViewPlans, EditPlans, ReviewReports, ApproveReports, ReleaseFunds,
		ViewReach, ViewCards, MergeCards, Refer, OverrideConsent, EditInstruments},
	ProvincialOfficer: {ViewNetwork, EditUnits, EditPartners, EditCommittees, EditOffices, ImportNetwork, ManageOwnTokens, ViewResults, EditResults, EnterValues,
		ViewPlans, EditPlans, ReviewReports, ViewReach, ViewCards, MergeCards, Refer, OverrideConsent},
	AgencyReporter:  {ViewNetwork, ManageOwnTokens, ViewResults, EnterValues, ViewPlans, FillReports, ViewReach},
	Caseworker:      {ViewNetwork, ViewResults, ViewReach, ViewCards, EditCards, IdentifyCards, MergeCards, Refer},
	CommitteeMember: {ViewNetwork, ViewResults, ViewPlans, ViewReach},
	Donor:           {ViewNetwork, ManageOwnTokens, ViewResults, ViewPlans, ViewReach},
	Evaluator:       {ViewNetwork, ManageOwnTokens, ViewResults, ViewPlans, ViewReach},
}

// Has reports whether the role grants p.
func (r Role) Has(p Permission) bool {
	for _, g := range grants[r] {
		if g == p {
			return true
		}
	}
	return false
}

// Actor is the authenticated user on whose behalf a domain call runs.
type Actor struct {
	UserID    int64
	PublicID  string // opaque id written to the audit log
	Username  string
	Role      Role
	UnitID    int64
	UnitPath  string // materialised path of the actor's unit, e.g. "/1/4/"
	PartnerID int64  // 0 when not bound to a partner
}

// System is the actor for the demo loader, migrations and command-line tools.
var System = Actor{PublicID: "system", Username: "system", Role: NationalAdmin, UnitPath: "/"}

// Can reports whether the actor's role grants p.
func (a Actor) Can(p Permission) bool { return a.Role.Has(p) }

// Sees reports whether a unit with the given path lies in the actor's subtree.
func (a Actor) Sees(unitPath string) bool {
	return a.UnitPath != "" && strings.HasPrefix(unitPath, a.UnitPath)
}

// Require returns ErrForbidden unless the actor has p.
func (a Actor) Require(p Permission) error {
	if !a.Can(p) {
		return ErrForbidden
	}
	return nil
}

// PathPattern is a LIKE pattern matching every unit in the actor's subtree. Paths hold only
// digits and slashes, so no escaping is needed.
func (a Actor) PathPattern() string { return a.UnitPath + "%" }

// Package beneficiaries holds the people the programme serves: beneficiary cards with their
// protected personal fields sealed (internal/seal), consent, services, referrals, feedback and
// baseline/end measurements. Every write keeps the reach bitmaps (internal/analytics) exact in
// its own transaction; every read of a protected field writes an access-log row; scope is the
// actor's subtree, checked here, below any handler.
package beneficiaries

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"ting/internal/valid"
)

// The closed vocabularies of a card (seed 001 §5.2 "Target Groups", DOMAIN.md §4).
var (
	Sexes         = []string{"F", "M"}
	Groups        = []string{"left_behind", "migrant_child", "ethnic_minority_child", "young_woman_worker", "vocational_student", "dropout", "parent"}
	Statuses      = []string{"in_school", "vocational_school", "working", "seeking_work", "out_of_school", "other"}
	ServiceTypes  = []string{"life_skills", "legal_aid", "health", "employment", "skills_training", "recreation", "counselling", "peer_support"}
	Purposes      = []string{"services", "reporting", "referral"}
	Givers        = []string{"self", "guardian"}
	RefStatuses   = []string{"sent", "accepted", "rejected", "completed"}
	AccessReasons = []string{"service", "referral", "follow_up", "correction", "export"}
)

// Adult is the age from which a person consents for themself.
const Adult = 18

// MinBirthYear is the earliest year of birth a card accepts (the catalogs' rule.birth_range
// says it too).
const MinBirthYear = 1900

// BirthYear reads a birth date given as 'YYYY-MM-DD' or 'YYYY', from MinBirthYear on.
func BirthYear(birth string) (int, bool) {
	y, ok := birthYearOf(birth)
	return y, ok && y >= MinBirthYear
}

// birthYearOf reads the year of a well-formed birth date ('YYYY-MM-DD', a calendar date) or
// year ('YYYY', four digits), whatever the year.
func birthYearOf(birth string) (int, bool) {
	switch len(birth) {
	case 4:
		for _, c := range birth {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
	case 10:
		if _, err := time.Parse(time.DateOnly, birth); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	y, err := strconv.Atoi(birth[:4])
	return y, err == nil
}

// AgeOn is a person's age in completed years on a date ('YYYY-MM-DD'). With only a birth year
// known, the birthday is taken as 1 July (the year's middle), so the error is at most half a year.
func AgeOn(birth, on string) int {
	y, ok := BirthYear(birth)
	if !ok || len(on) < 10 {
		return -1
	}
	md := "07-01"
	if len(birth) == 10 {
		md = birth[5:]
	}
	oy, _ := strconv.Atoi(on[:4])
	age := oy - y
	if on[5:] < md {
		age--
	}
	return age
}

// NormaliseName is the form of a name the duplicate index is computed from: Unicode NFKC (full-
// width letters become ASCII), case folded, spaces and punctuation dropped, so "Li  Mei" and
// "li mei" and "李 梅" and "李梅" meet.
func NormaliseName(s string) string {
	s = norm.NFKC.String(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// CardInput registers or edits a card. Protected fields travel here in clear and are sealed
// before they reach the database.
type CardInput struct {
	SiteID        int64    `json:"site_id"`
	Sex           string   `json:"sex"`
	Birth         string   `json:"birth"` // YYYY-MM-DD or YYYY
	Ethnicity     string   `json:"ethnicity"`
	Groups        []string `json:"groups"`
	HomeUnitID    int64    `json:"home_unit_id"`
	CurrentUnitID int64    `json:"current_unit_id"`
	Status        string   `json:"status"`
	Name          string   `json:"name"`
	IDNumber      string   `json:"id_number"`
	Phone         string   `json:"phone"`
	Address       string   `json:"address"`
	Guardian      string   `json:"guardian"`
	// NotDuplicate confirms that the likely duplicates found at registration are other people.
	NotDuplicate bool `json:"not_duplicate"`
}

func (in *CardInput) normalise() {
	for _, p := range []*string{&in.Sex, &in.Birth, &in.Ethnicity, &in.Status, &in.Name, &in.IDNumber, &in.Phone, &in.Address, &in.Guardian} {
		*p = strings.TrimSpace(*p)
	}
	in.Sex = strings.ToUpper(in.Sex)
	var gs []string
	for _, g := range in.Groups {
		if g = strings.TrimSpace(g); g != "" {
			gs = append(gs, g)
		}
	}
	slices.Sort(gs)
	in.Groups = slices.Compact(gs)
}

// CheckCard validates a card as of today: the rules that need no database.
func CheckCard(in CardInput, today string) valid.Errors {
	var es valid.Errors
	if in.SiteID == 0 {
		es.Add("site_id", "required")
	}
	if es.Required("sex", in.Sex) {
		es.OneOf("sex", in.Sex, Sexes)
	}
	if es.Required("birth", in.Birth) {
		// A malformed date is a format failure; a well-formed one before MinBirthYear a range
		// failure (naming both bounds), one after today the future's.
		y, ok := birthYearOf(in.Birth)
		switch {
		case !ok:
			es.Add("birth", "birth_format")
		case y < MinBirthYear:
			es.Add("birth", "birth_range", today)
		case in.Birth > today || strconv.Itoa(y) > today[:4]:
			es.Add("birth", "not_future", today)
		case AgeOn(in.Birth, today) > 110:
			es.Add("birth", "too_old", "110")
		}
	}
	es.MaxLen("ethnicity", in.Ethnicity, 40)
	for _, g := range in.Groups {
		if !slices.Contains(Groups, g) {
			es.Add("groups", "one_of", strings.Join(Groups, ", "))
			break
		}
	}
	if es.Required("status", in.Status) {
		es.OneOf("status", in.Status, Statuses)
	}
	if es.Required("name", in.Name) {
		es.MaxLen("name", in.Name, 100)
	}
	es.MaxLen("id_number", in.IDNumber, 40)
	es.MaxLen("phone", in.Phone, 40)
	es.MaxLen("address", in.Address, 300)
	es.MaxLen("guardian", in.Guardian, 200)
	if age := AgeOn(in.Birth, today); age >= 0 && age < Adult && in.Guardian == "" {
		es.Add("guardian", "guardian_minor", strconv.Itoa(Adult))
	}
	return es
}

// ConsentInput records consent for one purpose.
type ConsentInput struct {
	Purpose string `json:"purpose"`
	GivenBy string `json:"given_by"` // self or guardian
	Giver   string `json:"giver"`    // the guardian's name; protected
	GivenOn string `json:"given_on"`
}

// CheckConsent validates consent for a person born on birth: a minor's is the guardian's.
func CheckConsent(in ConsentInput, birth, today string) valid.Errors {
	var es valid.Errors
	if es.Required("purpose", in.Purpose) {
		es.OneOf("purpose", in.Purpose, Purposes)
	}
	if es.Required("given_by", in.GivenBy) {
		es.OneOf("given_by", in.GivenBy, Givers)
	}
	if es.Required("given_on", in.GivenOn) && es.Date("given_on", in.GivenOn) && in.GivenOn > today {
		es.Add("given_on", "not_future", today)
	}
	if age := AgeOn(birth, in.GivenOn); age >= 0 && age < Adult && in.GivenBy != "guardian" {
		es.Add("given_by", "guardian_minor", strconv.Itoa(Adult))
	}
	if in.GivenBy == "guardian" && strings.TrimSpace(in.Giver) == "" {
		es.Add("giver", "required")
	}
	es.MaxLen("giver", in.Giver, 200)
	return es
}

// ServiceInput is one service given to one person.
type ServiceInput struct {
	CardID    int64  `json:"card_id"`
	Card      string `json:"card"` // the card number, instead of the id (attendance lists, imports)
	SiteID    int64  `json:"site_id"`
	Type      string `json:"type"`
	Date      string `json:"date"`
	Provider  string `json:"provider"`
	PartnerID int64  `json:"partner_id"`
	Note      string `json:"note"`
}

// CheckService validates a service as of today.
func CheckService(in ServiceInput, today string) valid.Errors {
	var es valid.Errors
	if in.SiteID == 0 {
		es.Add("site_id", "required")
	}
	if es.Required("type", in.Type) {
		es.OneOf("type", in.Type, ServiceTypes)
	}
	if es.Required("date", in.Date) && es.Date("date", in.Date) && in.Date > today {
		es.Add("date", "not_future", today)
	}
	es.MaxLen("provider", in.Provider, 200)
	es.MaxLen("note", in.Note, 1000)
	return es
}

package org

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"ting/internal/access"
	"ting/internal/audit"
	"ting/internal/store"
	"ting/internal/valid"
)

// Committee is a steering committee at a unit of any level.
type Committee struct {
	ID            int64  `json:"id"`
	UnitID        int64  `json:"unit_id"`
	NameZH        string `json:"name_zh"`
	NameEN        string `json:"name_en"`
	EstablishedOn string `json:"established_on"`
	Members       int    `json:"members"` // current members
	Chair         string `json:"chair,omitempty"`
	UnitPath      string `json:"-"`
}

// Name returns the committee's name in lang.
func (c Committee) Name(lang string) string { return pick(lang, c.NameZH, c.NameEN) }

// MemberRoles are the places a person holds on a committee.
var MemberRoles = []string{"chair", "vice_chair", "member", "focal_point"}

// Member is a person on a committee, usually representing a member agency (a partner).
type Member struct {
	ID          int64  `json:"id"`
	CommitteeID int64  `json:"committee_id"`
	PersonName  string `json:"person_name"`
	Title       string `json:"title,omitempty"`
	PartnerID   int64  `json:"partner_id,omitempty"`
	Role        string `json:"role"`
	Since       string `json:"since"`
	Until       string `json:"until,omitempty"`
}

// Current reports whether the member still sits on the committee.
func (m Member) Current() bool { return m.Until == "" }

// Meeting is a committee meeting with its attendance and decision counts.
type Meeting struct {
	ID          int64      `json:"id"`
	CommitteeID int64      `json:"committee_id"`
	HeldOn      string     `json:"held_on"`
	Location    string     `json:"location,omitempty"`
	Notes       string     `json:"notes,omitempty"`
	Present     int        `json:"present"`
	Absent      int        `json:"absent"`
	Decisions   []Decision `json:"decisions"`
	Attendance  []Attended `json:"attendance,omitempty"`
}

// Attended is one member's presence at a meeting.
type Attended struct {
	MemberID   int64  `json:"member_id"`
	PersonName string `json:"person_name"`
	Role       string `json:"role"`
	Present    bool   `json:"present"`
}

// Decision is what a meeting decided, with who follows it up and by when.
type Decision struct {
	ID          int64  `json:"id,omitempty"`
	Text        string `json:"text"`
	Responsible string `json:"responsible,omitempty"`
	DueOn       string `json:"due_on,omitempty"`
}

// CommitteeInput creates or edits a committee.
type CommitteeInput struct {
	UnitID        int64  `json:"unit_id"`
	NameZH        string `json:"name_zh"`
	NameEN        string `json:"name_en"`
	EstablishedOn string `json:"established_on"`
}

// CheckCommitteeInput validates a committee's fields.
func CheckCommitteeInput(in CommitteeInput) valid.Errors {
	var es valid.Errors
	if in.UnitID == 0 {
		es.Add("unit_id", "required")
	}
	if es.Required("name_zh", in.NameZH) {
		es.MaxLen("name_zh", in.NameZH, 100)
	}
	if es.Required("name_en", in.NameEN) {
		es.MaxLen("name_en", in.NameEN, 200)
	}
	if es.Required("established_on", in.EstablishedOn) {
		es.Date("established_on", in.EstablishedOn)
	}
	return es
}

// MemberInput adds or edits a member.
type MemberInput struct {
	PersonName string `json:"person_name"`
	Title      string `json:"title"`
	PartnerID  int64  `json:"partner_id"`
	Role       string `json:"role"`
	Since      string `json:"since"`
	Until      string `json:"until"`
}

// CheckMemberInput validates a member's fields.
func CheckMemberInput(in MemberInput) valid.Errors {
	var es valid.Errors
	if es.Required("person_name", in.PersonName) {
		es.MaxLen("person_name", in.PersonName, 100)
	}
	es.MaxLen("title", in.Title, 200)
	if es.Required("role", in.Role) {
		es.OneOf("role", in.Role, MemberRoles)
	}
	if es.Required("since", in.Since) && es.Date("since", in.Since) && es.Date("until", in.Until) && in.Until != "" && in.Until < in.Since {
		es.Add("until", "not_before", in.Since)
	}
	return es
}

// MeetingInput records a meeting: the members present (the others on the committee that day
// are recorded absent) and the decisions taken.
type MeetingInput struct {
	HeldOn    string     `json:"held_on"`
	Location  string     `json:"location"`
	Notes     string     `json:"notes"`
	Present   []int64    `json:"present"`
	Decisions []Decision `json:"decisions"`
}

// CheckMeetingInput validates a meeting's own fields.
func CheckMeetingInput(in MeetingInput, today string) valid.Errors {
	var es valid.Errors
	if es.Required("held_on", in.HeldOn) && es.Date("held_on", in.HeldOn) && in.HeldOn > today {
		es.Add("held_on", "not_future", today)
	}
	es.MaxLen("location", in.Location, 200)
	es.MaxLen("notes", in.Notes, 4000)
	for _, d := range in.Decisions {
		if strings.TrimSpace(d.Text) == "" {
			es.Add("decisions", "decision_text")
			break
		}
		if !es.Date("decisions", d.DueOn) {
			break
		}
	}
	return es
}

func (s *Service) committeeIn(ctx context.Context, q store.Queryer, a access.Actor, id int64) (Committee, error) {
	if err := a.Require(access.ViewNetwork); err != nil {
		return Committee{}, err
	}
	var c Committee
	err := q.QueryRowContext(ctx, `SELECT c.id, c.unit_id, c.name_zh, c.name_en, c.established_on, u.path,
		(SELECT COUNT(*) FROM committee_members m WHERE m.committee_id = c.id AND m.until IS NULL),
		COALESCE((SELECT MIN(m.person_name) FROM committee_members m WHERE m.committee_id = c.id AND m.until IS NULL AND m.role = 'chair'), '')
		FROM committees c JOIN org_units u ON u.id = c.unit_id WHERE c.id = $1`, id).
		Scan(&c.ID, &c.UnitID, &c.NameZH, &c.NameEN, &c.EstablishedOn, &c.UnitPath, &c.Members, &c.Chair)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !a.Sees(c.UnitPath) {
		return Committee{}, fmt.Errorf("committee %d: %w", id, store.ErrNotFound)
	}
	return c, err
}

// Committee returns one committee in scope.
func (s *Service) Committee(ctx context.Context, a access.Actor, id int64) (Committee, error) {
	return s.committeeIn(ctx, s.db.R, a, id)
}

// Committees lists the committees at a unit in scope.
func (s *Service) Committees(ctx context.Context, a access.Actor, unitID int64) ([]Committee, error) {
	if _, err := s.Unit(ctx, a, unitID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT c.id, c.unit_id, c.name_zh, c.name_en, c.established_on,
		(SELECT COUNT(*) FROM committee_members m WHERE m.committee_id = c.id AND m.until IS NULL),
		COALESCE((SELECT MIN(m.person_name) FROM committee_members m WHERE m.committee_id = c.id AND m.until IS NULL AND m.role = 'chair'), '')
		FROM committees c WHERE c.unit_id = $1 ORDER BY c.established_on, c.id`, unitID)
	if err != nil {
		return nil, fmt.Errorf("committees of unit %d: %w", unitID, err)
	}
	defer rows.Close()
	var out []Committee
	for rows.Next() {
		var c Committee
		if err := rows.Scan(&c.ID, &c.UnitID, &c.NameZH, &c.NameEN, &c.EstablishedOn, &c.Members, &c.Chair); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func normCommittee(in *CommitteeInput) {
	in.NameZH, in.NameEN, in.EstablishedOn = strings.TrimSpace(in.NameZH), strings.TrimSpace(in.NameEN), strings.TrimSpace(in.EstablishedOn)
}

// CreateCommittee sets up a steering committee at a unit in scope.
func (s *Service) CreateCommittee(ctx context.Context, a access.Actor, in CommitteeInput) (Committee, error) {
	if err := a.Require(access.EditCommittees); err != nil {
		return Committee{}, err
	}
	normCommittee(&in)
	if es := CheckCommitteeInput(in); es.Err() != nil {
		return Committee{}, es
	}
	var c Committee
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkPartnerUnit(ctx, tx, a, in.UnitID); err != nil {
			return err
		}
		now := store.Now()
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO committees (unit_id, name_zh, name_en, established_on, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, in.UnitID, in.NameZH, in.NameEN, in.EstablishedOn, now).Scan(&id); err != nil {
			return fmt.Errorf("create committee: %w", err)
		}
		var err error
		if c, err = s.committeeIn(ctx, tx, a, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "create", "committee", id, c.UnitID, nil, c)
	})
	return c, err
}

// UpdateCommittee renames a committee or corrects its founding date.
func (s *Service) UpdateCommittee(ctx context.Context, a access.Actor, id int64, in CommitteeInput) (Committee, error) {
	if err := a.Require(access.EditCommittees); err != nil {
		return Committee{}, err
	}
	normCommittee(&in)
	var after Committee
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := s.committeeIn(ctx, tx, a, id)
		if err != nil {
			return err
		}
		in.UnitID = before.UnitID
		if es := CheckCommitteeInput(in); es.Err() != nil {
			return es
		}
		if _, err := tx.ExecContext(ctx, "UPDATE committees SET name_zh = $1, name_en = $2, established_on = $3, updated_at = $4 WHERE id = $5",
			in.NameZH, in.NameEN, in.EstablishedOn, store.Now(), id); err != nil {
			return err
		}
		if after, err = s.committeeIn(ctx, tx, a, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "update", "committee", id, after.UnitID, before, after)
	})
	return after, err
}

const memberCols = `id, committee_id, person_name, title, COALESCE(partner_id, 0), role, since, COALESCE(until, '')`

func scanMembers(rows *sql.Rows) ([]Member, error) {
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.ID, &m.CommitteeID, &m.PersonName, &m.Title, &m.PartnerID, &m.Role, &m.Since, &m.Until); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Members lists a committee's members, current first, chairs first.
func (s *Service) Members(ctx context.Context, a access.Actor, committeeID int64) ([]Member, error) {
	if _, err := s.Committee(ctx, a, committeeID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+memberCols+" FROM committee_members WHERE committee_id = $1 ORDER BY until IS NOT NULL, id", committeeID)
	if err != nil {
		return nil, err
	}
	ms, err := scanMembers(rows)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(ms, func(x, y Member) int {
		if x.Current() != y.Current() {
			if x.Current() {
				return -1
			}
			return 1
		}
		return slices.Index(MemberRoles, x.Role) - slices.Index(MemberRoles, y.Role)
	})
	return ms, nil
}

func normMember(in *MemberInput) {
	in.PersonName, in.Title, in.Role = strings.TrimSpace(in.PersonName), strings.TrimSpace(in.Title), strings.TrimSpace(in.Role)
	in.Since, in.Until = strings.TrimSpace(in.Since), strings.TrimSpace(in.Until)
}

// checkMemberPartner: a member agency must be a partner the actor sees.
func (s *Service) checkMemberPartner(ctx context.Context, tx *sql.Tx, a access.Actor, id int64) error {
	if id == 0 {
		return nil
	}
	if _, err := s.partnerIn(ctx, tx, a, id); errors.Is(err, store.ErrNotFound) {
		return valid.New("partner_id", "not_found")
	} else if err != nil {
		return err
	}
	return nil
}

// Member returns one committee member, if the committee is in scope.
func (s *Service) Member(ctx context.Context, a access.Actor, id int64) (Member, error) {
	m, err := queryOne(ctx, s.db.R, scanMembers, "member", id, "SELECT "+memberCols+" FROM committee_members WHERE id = $1")
	if err != nil {
		return Member{}, err
	}
	if _, err := s.Committee(ctx, a, m.CommitteeID); err != nil {
		return Member{}, fmt.Errorf("member %d: %w", id, store.ErrNotFound)
	}
	return m, nil
}

// AddMember puts a person on a committee.
func (s *Service) AddMember(ctx context.Context, a access.Actor, committeeID int64, in MemberInput) (Member, error) {
	if err := a.Require(access.EditCommittees); err != nil {
		return Member{}, err
	}
	normMember(&in)
	if es := CheckMemberInput(in); es.Err() != nil {
		return Member{}, es
	}
	var m Member
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.committeeIn(ctx, tx, a, committeeID)
		if err != nil {
			return err
		}
		if err := s.checkMemberPartner(ctx, tx, a, in.PartnerID); err != nil {
			return err
		}
		if in.Since < c.EstablishedOn {
			return valid.New("since", "after_established", c.EstablishedOn)
		}
		m = Member{CommitteeID: committeeID, PersonName: in.PersonName, Title: in.Title, PartnerID: in.PartnerID, Role: in.Role, Since: in.Since, Until: in.Until}
		if err := tx.QueryRowContext(ctx, `INSERT INTO committee_members (committee_id, person_name, title, partner_id, role, since, until)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, committeeID, m.PersonName, m.Title, nullID(m.PartnerID), m.Role, m.Since, nullStr(m.Until)).Scan(&m.ID); err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		return audit.Record(ctx, tx, a, "create", "committee_member", m.ID, c.UnitID, nil, m)
	})
	return m, err
}

// UpdateMember edits a member; setting Until records that they left.
func (s *Service) UpdateMember(ctx context.Context, a access.Actor, memberID int64, in MemberInput) (Member, error) {
	if err := a.Require(access.EditCommittees); err != nil {
		return Member{}, err
	}
	normMember(&in)
	if es := CheckMemberInput(in); es.Err() != nil {
		return Member{}, es
	}
	var after Member
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		before, err := queryOne(ctx, tx, scanMembers, "member", memberID, "SELECT "+memberCols+" FROM committee_members WHERE id = $1")
		if err != nil {
			return err
		}
		c, err := s.committeeIn(ctx, tx, a, before.CommitteeID)
		if err != nil {
			return err
		}
		if err := s.checkMemberPartner(ctx, tx, a, in.PartnerID); err != nil {
			return err
		}
		after = Member{ID: memberID, CommitteeID: before.CommitteeID, PersonName: in.PersonName, Title: in.Title, PartnerID: in.PartnerID, Role: in.Role, Since: in.Since, Until: in.Until}
		if _, err := tx.ExecContext(ctx, `UPDATE committee_members SET person_name = $1, title = $2, partner_id = $3, role = $4, since = $5, until = $6 WHERE id = $7`,
			after.PersonName, after.Title, nullID(after.PartnerID), after.Role, after.Since, nullStr(after.Until), memberID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, "update", "committee_member", memberID, c.UnitID, before, after)
	})
	return after, err
}

// Meetings lists a committee's meetings, newest first, with attendance counts and decisions.
func (s *Service) Meetings(ctx context.Context, a access.Actor, committeeID int64) ([]Meeting, error) {
	if _, err := s.Committee(ctx, a, committeeID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT m.id, m.committee_id, m.held_on, m.location, m.notes,
		(SELECT COUNT(*) FROM meeting_attendance x WHERE x.meeting_id = m.id AND x.present = TRUE),
		(SELECT COUNT(*) FROM meeting_attendance x WHERE x.meeting_id = m.id AND x.present = FALSE)
		FROM committee_meetings m WHERE m.committee_id = $1 ORDER BY m.held_on DESC, m.id DESC`, committeeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Meeting
	for rows.Next() {
		var m Meeting
		if err := rows.Scan(&m.ID, &m.CommitteeID, &m.HeldOn, &m.Location, &m.Notes, &m.Present, &m.Absent); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Decisions, err = s.decisions(ctx, s.db.R, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) decisions(ctx context.Context, q store.Queryer, meetingID int64) ([]Decision, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, text, responsible, COALESCE(due_on, '') FROM meeting_decisions WHERE meeting_id = $1 ORDER BY id", meetingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Decision{}
	for rows.Next() {
		var d Decision
		if err := rows.Scan(&d.ID, &d.Text, &d.Responsible, &d.DueOn); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Meeting returns one meeting with its full attendance list.
func (s *Service) Meeting(ctx context.Context, a access.Actor, id int64) (Meeting, error) {
	var committeeID int64
	err := s.db.R.QueryRowContext(ctx, "SELECT committee_id FROM committee_meetings WHERE id = $1", id).Scan(&committeeID)
	if errors.Is(err, sql.ErrNoRows) {
		return Meeting{}, fmt.Errorf("meeting %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return Meeting{}, err
	}
	ms, err := s.Meetings(ctx, a, committeeID)
	if err != nil {
		return Meeting{}, err
	}
	for _, m := range ms {
		if m.ID != id {
			continue
		}
		rows, err := s.db.R.QueryContext(ctx, `SELECT x.member_id, cm.person_name, cm.role, x.present FROM meeting_attendance x
			JOIN committee_members cm ON cm.id = x.member_id WHERE x.meeting_id = $1 ORDER BY cm.id`, id)
		if err != nil {
			return Meeting{}, err
		}
		defer rows.Close()
		for rows.Next() {
			var at Attended
			if err := rows.Scan(&at.MemberID, &at.PersonName, &at.Role, &at.Present); err != nil {
				return Meeting{}, err
			}
			m.Attendance = append(m.Attendance, at)
		}
		return m, rows.Err()
	}
	return Meeting{}, fmt.Errorf("meeting %d: %w", id, store.ErrNotFound)
}

// RecordMeeting stores a meeting. Everyone on the committee on the meeting day gets an
// attendance row; those listed in Present are present. Listing someone who was not a member
// that day is refused.
func (s *Service) RecordMeeting(ctx context.Context, a access.Actor, committeeID int64, in MeetingInput) (Meeting, error) {
	if err := a.Require(access.EditCommittees); err != nil {
		return Meeting{}, err
	}
	in.HeldOn, in.Location, in.Notes = strings.TrimSpace(in.HeldOn), strings.TrimSpace(in.Location), strings.TrimSpace(in.Notes)
	if es := CheckMeetingInput(in, s.today()); es.Err() != nil {
		return Meeting{}, es
	}
	var id int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		c, err := s.committeeIn(ctx, tx, a, committeeID)
		if err != nil {
			return err
		}
		if in.HeldOn < c.EstablishedOn {
			return valid.New("held_on", "after_established", c.EstablishedOn)
		}
		rows, err := tx.QueryContext(ctx, "SELECT "+memberCols+` FROM committee_members WHERE committee_id = $1
			AND since <= $2 AND (until IS NULL OR until >= $2)`, committeeID, in.HeldOn)
		if err != nil {
			return err
		}
		sitting, err := scanMembers(rows)
		if err != nil {
			return err
		}
		for _, p := range in.Present {
			if !slices.ContainsFunc(sitting, func(m Member) bool { return m.ID == p }) {
				return valid.New("present", "not_member_on_date", in.HeldOn)
			}
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO committee_meetings (committee_id, held_on, location, notes, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, committeeID, in.HeldOn, in.Location, in.Notes, store.Now()).Scan(&id); err != nil {
			return fmt.Errorf("record meeting: %w", err)
		}
		for _, m := range sitting {
			if _, err := tx.ExecContext(ctx, "INSERT INTO meeting_attendance (meeting_id, member_id, present) VALUES ($1, $2, $3)",
				id, m.ID, slices.Contains(in.Present, m.ID)); err != nil {
				return err
			}
		}
		for _, d := range in.Decisions {
			if _, err := tx.ExecContext(ctx, "INSERT INTO meeting_decisions (meeting_id, text, responsible, due_on) VALUES ($1, $2, $3, $4)",
				id, strings.TrimSpace(d.Text), strings.TrimSpace(d.Responsible), nullStr(strings.TrimSpace(d.DueOn))); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, "create", "meeting", id, c.UnitID, nil, in)
	})
	if err != nil {
		return Meeting{}, err
	}
	return s.Meeting(ctx, a, id)
}

// DecisionMakers counts the people currently sitting on committees in the subtree of root
// (0: the actor's whole scope). A person on two committees counts twice only if recorded
// under different names; the committees are the seeds' unit of account.
func (s *Service) DecisionMakers(ctx context.Context, a access.Actor, root int64) (int, error) {
	pattern := a.PathPattern()
	if root != 0 {
		u, err := s.Unit(ctx, a, root)
		if err != nil {
			return 0, err
		}
		pattern = u.Path + "%"
	}
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM committee_members m JOIN committees c ON c.id = m.committee_id
		JOIN org_units u ON u.id = c.unit_id WHERE m.until IS NULL AND u.path LIKE $1`, pattern).Scan(&n)
	return n, err
}

// queryOne runs a query for the record with the given id and returns it, or a not-found
// error naming what was sought.
func queryOne[T any](ctx context.Context, q store.Queryer, scan func(*sql.Rows) ([]T, error), what string, id int64, query string) (T, error) {
	var zero T
	rows, err := q.QueryContext(ctx, query, id)
	if err != nil {
		return zero, fmt.Errorf("%s %d: %w", what, id, err)
	}
	list, err := scan(rows)
	if err != nil {
		return zero, fmt.Errorf("%s %d: %w", what, id, err)
	}
	if len(list) == 0 {
		return zero, fmt.Errorf("%s %d: %w", what, id, store.ErrNotFound)
	}
	return list[0], nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

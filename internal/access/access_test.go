package access

import "testing"

func TestRolesGrant(t *testing.T) {
	tests := []struct {
		role Role
		can  []Permission
		not  []Permission
	}{
		{NationalAdmin, []Permission{ViewNetwork, EditUnits, ManageUsers, ViewAudit, ImportNetwork}, nil},
		{NationalOfficer, []Permission{ViewNetwork, EditUnits, EditPartners, ImportNetwork}, []Permission{ManageUsers, ViewAudit}},
		{ProvincialOfficer, []Permission{EditUnits, EditCommittees, EditOffices}, []Permission{ManageUsers, ViewAudit}},
		{AgencyReporter, []Permission{ViewNetwork, ManageOwnTokens}, []Permission{EditUnits, EditPartners}},
		{Caseworker, []Permission{ViewNetwork}, []Permission{EditUnits, ManageOwnTokens}},
		{CommitteeMember, []Permission{ViewNetwork}, []Permission{EditCommittees}},
		{Donor, []Permission{ViewNetwork}, []Permission{EditUnits, ImportNetwork}},
		{Evaluator, []Permission{ViewNetwork}, []Permission{EditUnits, ViewAudit}},
		{Role("intruder"), nil, []Permission{ViewNetwork}},
	}
	for _, tt := range tests {
		for _, p := range tt.can {
			if !tt.role.Has(p) {
				t.Errorf("%s should have %s", tt.role, p)
			}
		}
		for _, p := range tt.not {
			if tt.role.Has(p) {
				t.Errorf("%s should not have %s", tt.role, p)
			}
		}
	}
	for _, r := range Roles {
		if !r.Valid() {
			t.Errorf("%s not valid", r)
		}
	}
	if Role("intruder").Valid() {
		t.Error("unknown role valid")
	}
}

func TestSees(t *testing.T) {
	anhui := Actor{Role: ProvincialOfficer, UnitPath: "/1/2/"}
	tests := []struct {
		path string
		want bool
	}{
		{"/1/2/", true},
		{"/1/2/17/", true},
		{"/1/2/17/301/", true},
		{"/1/", false},    // the national unit above
		{"/1/3/", false},  // another province
		{"/1/22/", false}, // a sibling whose id starts with the same digit
		{"/1/2", false},   // malformed: no trailing slash
		{"", false},
	}
	for _, tt := range tests {
		if got := anhui.Sees(tt.path); got != tt.want {
			t.Errorf("Sees(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
	if (Actor{}).Sees("/1/") {
		t.Error("an actor without a unit sees nothing")
	}
	if !System.Sees("/9/8/7/") {
		t.Error("system sees everything")
	}
	if anhui.PathPattern() != "/1/2/%" {
		t.Errorf("pattern %q", anhui.PathPattern())
	}
	if err := anhui.Require(ManageUsers); err != ErrForbidden {
		t.Errorf("require: %v", err)
	}
}

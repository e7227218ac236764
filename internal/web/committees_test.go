package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/store"
	"ting/internal/store/storetest"
	"ting/internal/web"
)

// netEnv is a running server with a national unit, one province and a signed-in national
// administrator, for the committee and office tests.
type netEnv struct {
	t        *testing.T
	db       *store.DB
	srv      *httptest.Server
	client   *http.Client
	org      *org.Service
	actor    access.Actor
	national org.Unit
	province org.Unit
}

const netPassword = "committee-pass-2012"

func newNetEnv(t *testing.T, db *store.DB) *netEnv {
	t.Helper()
	ctx := context.Background()
	e := &netEnv{t: t, db: db, org: org.New(db)}
	var err error
	if e.national, err = e.org.CreateUnit(ctx, access.System, org.UnitInput{Code: "CN", Level: org.National, NameZH: "全国", NameEN: "China"}); err != nil {
		t.Fatal(err)
	}
	if e.province, err = e.org.CreateUnit(ctx, access.System, org.UnitInput{Code: "YN", Level: org.Provincial, ParentID: e.national.ID, NameZH: "云南省", NameEN: "Yunnan"}); err != nil {
		t.Fatal(err)
	}
	u, err := auth.New(db).CreateUser(ctx, access.System, auth.UserInput{Username: "nadmin", DisplayName: "National Admin", Password: netPassword,
		Role: access.NationalAdmin, UnitID: e.national.ID})
	if err != nil {
		t.Fatal(err)
	}
	e.actor = u.Actor()
	s, err := web.New(db, web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	e.client = e.login("nadmin")
	return e
}

// login signs username in on a client of its own that does not follow redirects, so tests
// see the 303 of each form post.
func (e *netEnv) login(username string) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(e.srv.URL+"/login", url.Values{"username": {username}, "password": {netPassword}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d", username, resp.StatusCode)
	}
	return c
}

// do sends a request with the given Accept-Language and returns status, Location and body.
func (e *netEnv) do(c *http.Client, method, path, lang string, form url.Values) (int, string, string) {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (e *netEnv) get(path string) string {
	e.t.Helper()
	status, _, body := e.do(e.client, "GET", path, "", nil)
	if status != http.StatusOK {
		e.t.Fatalf("GET %s: status %d\n%s", path, status, body)
	}
	return body
}

// post submits a form that must succeed and returns where it redirected.
func (e *netEnv) post(path string, form url.Values) string {
	e.t.Helper()
	status, loc, body := e.do(e.client, "POST", path, "", form)
	if status != http.StatusSeeOther {
		e.t.Fatalf("POST %s: status %d, want 303\n%s", path, status, body)
	}
	return loc
}

// postInvalid submits a form that must be refused and returns the re-rendered page.
func (e *netEnv) postInvalid(path, lang string, form url.Values) string {
	e.t.Helper()
	status, _, body := e.do(e.client, "POST", path, lang, form)
	if status != http.StatusUnprocessableEntity {
		e.t.Fatalf("POST %s: status %d, want 422\n%s", path, status, body)
	}
	return body
}

var netTrailingID = regexp.MustCompile(`/(\d+)(?:#.*)?$`)

func netID(t *testing.T, location string) int64 {
	t.Helper()
	m := netTrailingID.FindStringSubmatch(location)
	if m == nil {
		t.Fatalf("no id in %q", location)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// api sends a JSON request with a bearer token and decodes the answer into out (when not nil).
func (e *netEnv) api(token, method, path string, in any, out any) int {
	e.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Language", "en")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode
}

func (e *netEnv) token() string {
	e.t.Helper()
	tok, err := auth.New(e.db).CreateToken(context.Background(), e.actor, "tests")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *netEnv) partner(code, nameEN string) org.Partner {
	e.t.Helper()
	p, err := e.org.CreatePartner(context.Background(), access.System, org.PartnerInput{Code: code, UnitID: e.province.ID, Type: "government",
		Sector: "labour", NameZH: nameEN + "（中文）", NameEN: nameEN})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// element returns the HTML of the first element whose id is id, up to its closing tag name.
func netElement(t *testing.T, body, id, tag string) string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no element #%s in page", id)
	}
	j := strings.Index(body[i:], "</"+tag+">")
	if j < 0 {
		t.Fatalf("element #%s not closed by </%s>", id, tag)
	}
	return body[i : i+j]
}

func netContains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func netLacks(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("%s: should not contain %q", what, n)
		}
	}
}

func nid(n int64) string { return strconv.FormatInt(n, 10) }

func TestCommitteePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newNetEnv(t, db)
		labour := e.partner("YN-LAB", "Yunnan Labour Bureau")
		unitPath := "/committees/new?unit=" + nid(e.province.ID)

		form := e.get(unitPath)
		netContains(t, "new committee form", form, `name="unit_id" value="`+nid(e.province.ID)+`"`, `name="established_on"`)

		// A refused committee names the broken fields in the reader's language.
		bad := url.Values{"unit_id": {nid(e.province.ID)}, "name_zh": {""}, "name_en": {"Yunnan steering committee"}, "established_on": {"2012-13-40"}}
		en := e.postInvalid("/committees", "en", bad)
		netContains(t, "committee form (en)", netElement(t, en, "err-name_zh", "span"), "Name (Chinese) is required.")
		netContains(t, "committee form (en)", netElement(t, en, "err-established_on", "span"), "Established must be a date written YYYY-MM-DD.")
		netContains(t, "committee form keeps input", en, `value="Yunnan steering committee"`)
		zh := e.postInvalid("/committees?lang=zh", "en", bad)
		netContains(t, "committee form (zh)", netElement(t, zh, "err-name_zh", "span"), "中文名称为必填项。")
		netContains(t, "committee form (zh)", netElement(t, zh, "err-established_on", "span"), "成立日期须为 YYYY-MM-DD 格式的日期。")

		loc := e.post("/committees", url.Values{"unit_id": {nid(e.province.ID)}, "name_zh": {"云南省项目领导小组"}, "name_en": {"Yunnan steering committee"}, "established_on": {"2012-01-10"}})
		cid := netID(t, loc)
		cpath := "/committees/" + nid(cid)

		members := []url.Values{
			{"person_name": {"Li Hua"}, "title": {"Vice-Governor"}, "partner_id": {nid(labour.ID)}, "role": {"chair"}, "since": {"2012-01-10"}},
			{"person_name": {"Wang Fang"}, "title": {"Director"}, "role": {"member"}, "since": {"2012-02-01"}},
			{"person_name": {"Zhao Min"}, "role": {"focal_point"}, "since": {"2012-02-01"}},
		}
		for _, m := range members {
			e.post(cpath+"/members", m)
		}
		// Someone cannot join before the committee existed; the message is by the since field of the add form.
		early := e.postInvalid(cpath+"/members", "en", url.Values{"person_name": {"Early Bird"}, "role": {"member"}, "since": {"2011-12-31"}})
		netContains(t, "early member", netElement(t, early, "err-member-since", "span"), "Member since cannot be before the committee was established (2012-01-10).")
		netContains(t, "early member keeps input", early, `value="Early Bird"`)

		page := e.get(cpath)
		netContains(t, "committee page", netElement(t, page, "committee-chair", "dd"), "Li Hua")
		netContains(t, "committee page", netElement(t, page, "committee-unit", "a"), "/units/"+nid(e.province.ID))
		cur := netElement(t, page, "current-members", "table")
		netContains(t, "current members", cur, "Li Hua", "Vice-Governor", `<a href="/partners/`+nid(labour.ID)+`">`, "Wang Fang", "Zhao Min")
		ids := map[string]string{}
		for _, m := range regexp.MustCompile(`name="present" value="(\d+)"> ([^ ]+ [^ ]+) \(`).FindAllStringSubmatch(page, -1) {
			ids[m[2]] = m[1]
		}
		if len(ids) != 3 {
			t.Fatalf("attendance boxes: got %v, want one per current member", ids)
		}

		// Record a meeting with two of three present and one decision; blank decision rows are not decisions.
		loc = e.post(cpath+"/meetings", url.Values{"held_on": {"2012-03-05"}, "location": {"Kunming"}, "present": {ids["Li Hua"], ids["Wang Fang"]},
			"decision_text_0": {"Train the county focal points"}, "decision_responsible_0": {"Provincial Women's Federation"}, "decision_due_0": {"2012-06-30"},
			"decision_text_1": {""}, "decision_responsible_1": {""}, "decision_due_1": {""}})
		if loc != cpath {
			t.Errorf("meeting recorded: redirected to %q, want %q", loc, cpath)
		}
		page = e.get(cpath)
		list := netElement(t, page, "meeting-list", "table")
		mid := regexp.MustCompile(`<a href="/meetings/(\d+)">2012-03-05</a>`).FindStringSubmatch(list)
		if mid == nil {
			t.Fatalf("meeting not listed:\n%s", list)
		}
		netContains(t, "meeting row", list, "Kunming", `<a class="present" href="/meetings/`+mid[1]+`#attendance">2</a>`,
			`<a class="absent" href="/meetings/`+mid[1]+`#attendance">1</a>`, "Train the county focal points", "Provincial Women&#39;s Federation")
		if n := strings.Count(list, "<li>"); n != 1 {
			t.Errorf("meeting row lists %d decisions, want 1", n)
		}

		mp := e.get("/meetings/" + mid[1] + "?lang=en")
		att := netElement(t, mp, "attendance", "table")
		netContains(t, "meeting page", att, "Zhao Min", "Focal point", "absent")
		if n := strings.Count(att, `class="attended"`); n != 2 {
			t.Errorf("meeting page shows %d present, want 2", n)
		}
		netContains(t, "meeting page", mp, `href="/committees/`+nid(cid)+`#meetings"`, "Train the county focal points", "2012-06-30")

		// Wang leaves; from then on the committee has two members and Wang is listed as former.
		e.post(cpath+"/members/"+ids["Wang Fang"], url.Values{"person_name": {"Wang Fang"}, "title": {"Director"}, "role": {"member"},
			"since": {"2012-02-01"}, "until": {"2012-04-01"}})
		page = e.get(cpath)
		netContains(t, "after leaving", netElement(t, page, "committee-member-count", "a"), ">2")
		netContains(t, "former members", netElement(t, page, "former-members", "table"), "Wang Fang", "2012-04-01")
		netLacks(t, "current members", netElement(t, page, "current-members", "table"), "Wang Fang")

		// A meeting after Wang left cannot list Wang as present; the page says so by the attendance boxes, in Chinese when asked.
		gone := url.Values{"held_on": {"2012-05-02"}, "present": {ids["Wang Fang"]}}
		msg := netElement(t, e.postInvalid(cpath+"/meetings?lang=zh", "", gone), "err-meeting-present", "span")
		netContains(t, "absent member (zh)", msg, "出席者须为 2012-05-02 当日的成员")
		msg = netElement(t, e.postInvalid(cpath+"/meetings", "en", gone), "err-meeting-present", "span")
		netContains(t, "absent member (en)", msg, "everyone listed as present must have been a member on 2012-05-02")
		// A decision row without its text is refused, not dropped.
		noText := e.postInvalid(cpath+"/meetings", "en", url.Values{"held_on": {"2012-05-02"}, "decision_responsible_0": {"Labour bureau"}})
		netContains(t, "decision without text", netElement(t, noText, "err-meeting-decisions", "span"), "every decision needs its text")
		netContains(t, "decision kept", noText, `value="Labour bureau"`)

		// Member change errors show on that member's form only, and open it.
		memberForm := "member-" + ids["Zhao Min"]
		badEdit := e.postInvalid(cpath+"/members/"+ids["Zhao Min"], "en", url.Values{"person_name": {"Zhao Min"}, "role": {"focal_point"}, "since": {"2012-02-01"}, "until": {"2012-01-01"}})
		netContains(t, "member edit", netElement(t, badEdit, "err-"+memberForm+"-until", "span"), "Member until cannot be before 2012-02-01.")
		netContains(t, "member edit opens", badEdit, `<details id="`+memberForm+`" open>`)

		// Rename and re-date the committee.
		e.post(cpath, url.Values{"name_zh": {"云南省反拐领导小组"}, "name_en": {"Yunnan anti-trafficking steering committee"}, "established_on": {"2012-01-09"}})
		page = e.get(cpath + "?lang=en")
		netContains(t, "renamed", netElement(t, page, "committee-name", "h1"), "Yunnan anti-trafficking steering committee")
		netContains(t, "re-dated", netElement(t, page, "committee-established", "dd"), "2012-01-09")
		// The unit page lists it.
		netContains(t, "unit page", e.get("/units/"+nid(e.province.ID)), `href="/committees/`+nid(cid)+`"`)
	})
}

// Committees are scoped like the rest of the network: another province's officer sees none of it.
func TestCommitteeOutOfScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newNetEnv(t, db)
		ctx := context.Background()
		c, err := e.org.CreateCommittee(ctx, access.System, org.CommitteeInput{UnitID: e.province.ID, NameZH: "云南省领导小组", NameEN: "Yunnan SC", EstablishedOn: "2012-01-10"})
		if err != nil {
			t.Fatal(err)
		}
		m, err := e.org.RecordMeeting(ctx, access.System, c.ID, org.MeetingInput{HeldOn: "2012-02-01"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := e.org.CreateUnit(ctx, access.System, org.UnitInput{Code: "SC", Level: org.Provincial, ParentID: e.national.ID, NameZH: "四川省", NameEN: "Sichuan"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth.New(db).CreateUser(ctx, access.System, auth.UserInput{Username: "sc-officer", DisplayName: "Sichuan officer", Password: netPassword,
			Role: access.ProvincialOfficer, UnitID: other.ID}); err != nil {
			t.Fatal(err)
		}
		c2 := e.login("sc-officer")
		for _, p := range []string{"/committees/" + nid(c.ID), "/meetings/" + nid(m.ID), "/committees/new?unit=" + nid(e.province.ID)} {
			if status, _, _ := e.do(c2, "GET", p, "en", nil); status != http.StatusNotFound {
				t.Errorf("GET %s by another province: status %d, want 404", p, status)
			}
		}
		if status, _, _ := e.do(c2, "POST", "/committees/"+nid(c.ID)+"/members", "en", url.Values{"person_name": {"X"}, "role": {"member"}, "since": {"2012-02-01"}}); status != http.StatusNotFound {
			t.Errorf("add member by another province: status %d, want 404", status)
		}
	})
}

type netList[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

type netAPIErr struct {
	Code   string `json:"code"`
	Field  string `json:"field"`
	Errors []struct {
		Field, Rule, Message string
	} `json:"errors"`
}

func TestCommitteeAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newNetEnv(t, db)
		tok := e.token()
		agency := e.partner("YN-EDU", "Yunnan Education Department")

		var c org.Committee
		if st := e.api(tok, "POST", "/api/v1/committees", map[string]any{"unit_id": e.province.ID, "name_zh": "云南省领导小组", "name_en": "Yunnan SC", "established_on": "2012-01-10"}, &c); st != http.StatusCreated {
			t.Fatalf("create committee: status %d", st)
		}
		var cs netList[org.Committee]
		if st := e.api(tok, "GET", "/api/v1/units/"+nid(e.province.ID)+"/committees", nil, &cs); st != http.StatusOK || cs.Total != 1 || cs.Items[0].ID != c.ID {
			t.Fatalf("unit committees: status %d, %+v", st, cs)
		}
		var ae netAPIErr
		if st := e.api(tok, "PATCH", "/api/v1/committees/"+nid(c.ID), map[string]any{"unit_id": e.national.ID}, &ae); st != http.StatusUnprocessableEntity || ae.Field != "unit_id" {
			t.Errorf("moving a committee by PATCH: status %d, %+v; want 422 on unit_id", st, ae)
		}
		if st := e.api(tok, "PATCH", "/api/v1/committees/"+nid(c.ID), map[string]any{"name_en": "Yunnan steering committee"}, &c); st != http.StatusOK ||
			c.NameEN != "Yunnan steering committee" || c.NameZH != "云南省领导小组" || c.EstablishedOn != "2012-01-10" {
			t.Errorf("PATCH committee: status %d, %+v; absent fields must keep their values", st, c)
		}

		var chair, member org.Member
		if st := e.api(tok, "POST", "/api/v1/committees/"+nid(c.ID)+"/members", map[string]any{"person_name": "Li Hua", "title": "Vice-Governor", "partner_id": agency.ID, "role": "chair", "since": "2012-01-10"}, &chair); st != http.StatusCreated {
			t.Fatalf("add chair: status %d", st)
		}
		if st := e.api(tok, "POST", "/api/v1/committees/"+nid(c.ID)+"/members", map[string]any{"person_name": "Wang Fang", "role": "member", "since": "2012-01-10"}, &member); st != http.StatusCreated {
			t.Fatalf("add member: status %d", st)
		}
		ae = netAPIErr{}
		if st := e.api(tok, "POST", "/api/v1/committees/"+nid(c.ID)+"/members", map[string]any{"person_name": "No Role", "role": "boss", "since": "2012-01-10"}, &ae); st != http.StatusUnprocessableEntity || ae.Field != "role" {
			t.Errorf("bad role: status %d, %+v", st, ae)
		}

		// A member PATCH changes only what it sends.
		var left org.Member
		if st := e.api(tok, "PATCH", "/api/v1/members/"+nid(member.ID), map[string]any{"until": "2012-06-30"}, &left); st != http.StatusOK || left.Until != "2012-06-30" || left.PersonName != member.PersonName || left.Role != member.Role || left.Since != member.Since {
			t.Errorf("member left: status %d, %+v (was %+v)", st, left, member)
		}
		ae = netAPIErr{}
		if st := e.api(tok, "PATCH", "/api/v1/members/"+nid(member.ID), map[string]any{"until": "2011-01-01"}, &ae); st != http.StatusUnprocessableEntity || ae.Field != "until" {
			t.Errorf("leaving before joining: status %d, %+v", st, ae)
		}

		var meeting org.Meeting
		if st := e.api(tok, "POST", "/api/v1/committees/"+nid(c.ID)+"/meetings", map[string]any{"held_on": "2012-03-01", "location": "Kunming", "present": []int64{chair.ID},
			"decisions": []map[string]string{{"text": "Open two Women's Homes", "responsible": "Li Hua", "due_on": "2012-09-30"}}}, &meeting); st != http.StatusCreated {
			t.Fatalf("record meeting: status %d", st)
		}
		if meeting.Present != 1 || meeting.Absent != 1 || len(meeting.Attendance) != 2 || len(meeting.Decisions) != 1 {
			t.Errorf("recorded meeting: %+v", meeting)
		}
		ae = netAPIErr{}
		if st := e.api(tok, "POST", "/api/v1/committees/"+nid(c.ID)+"/meetings", map[string]any{"held_on": "2999-01-01"}, &ae); st != http.StatusUnprocessableEntity || ae.Field != "held_on" || ae.Errors[0].Rule != "not_future" {
			t.Errorf("future meeting: status %d, %+v", st, ae)
		}
		var got org.Meeting
		if st := e.api(tok, "GET", "/api/v1/meetings/"+nid(meeting.ID), nil, &got); st != http.StatusOK || got.Location != "Kunming" || len(got.Attendance) != 2 {
			t.Errorf("GET meeting: status %d, %+v", st, got)
		}
		var ms netList[org.Meeting]
		if st := e.api(tok, "GET", "/api/v1/committees/"+nid(c.ID)+"/meetings", nil, &ms); st != http.StatusOK || ms.Total != 1 || ms.Items[0].Decisions[0].DueOn != "2012-09-30" {
			t.Errorf("GET meetings: status %d, %+v", st, ms)
		}
		var mems netList[org.Member]
		if st := e.api(tok, "GET", "/api/v1/committees/"+nid(c.ID)+"/members", nil, &mems); st != http.StatusOK || mems.Total != 2 || mems.Items[0].ID != chair.ID {
			t.Errorf("GET members: status %d, %+v", st, mems)
		}
		if st := e.api(tok, "GET", "/api/v1/committees/"+nid(c.ID), nil, &c); st != http.StatusOK || c.Members != 1 || c.Chair != "Li Hua" {
			t.Errorf("GET committee: status %d, %+v", st, c)
		}
		if st := e.api(tok, "GET", "/api/v1/committees/999999", nil, &ae); st != http.StatusNotFound || ae.Code != "not_found" {
			t.Errorf("missing committee: status %d, %+v", st, ae)
		}
		if st := e.api("ting_wrong", "GET", "/api/v1/committees/"+nid(c.ID), nil, nil); st != http.StatusUnauthorized {
			t.Errorf("bad token: status %d", st)
		}

		// The served document carries this area's fragment.
		var doc struct {
			Paths      map[string]map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if st := e.api(tok, "GET", "/api/v1/openapi.json", nil, &doc); st != http.StatusOK {
			t.Fatalf("openapi: status %d", st)
		}
		if _, ok := doc.Paths["/api/v1/members/{id}"]["patch"]; !ok {
			t.Error("openapi: PATCH /api/v1/members/{id} undocumented")
		}
		for _, name := range []string{"Committee", "Member", "Meeting", "Office", "Position", "TitleTurnover"} {
			if doc.Components.Schemas[name] == nil {
				t.Errorf("openapi: no schema %s", name)
			}
		}
	})
}

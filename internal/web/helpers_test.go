package web

// Shared fixtures of the cross-cutting web tests (scope walk, HTTP behaviour, OpenAPI). Every
// name starts with fx so helpers written by other areas' tests in this package cannot clash.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/org"
	"ting/internal/seal"
	"ting/internal/sheet"
	"ting/internal/store"
)

// fxPassword is every fixture account's password.
const fxPassword = "fixture-password-2012"

// fxApp is a running server on a real database.
type fxApp struct {
	db  *store.DB
	srv *Server
	ts  *httptest.Server
}

func fxServer(t *testing.T, db *store.DB) *fxApp {
	t.Helper()
	s, err := New(db, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", Keys: fxKeys(t)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &fxApp{db: db, srv: s, ts: ts}
}

// fxKeys is the fixture keyring that seals beneficiaries' personal fields: one fixed key, so a
// domain service built beside the server opens what the server sealed.
func fxKeys(t *testing.T) *seal.Keyring {
	t.Helper()
	k, err := seal.NewKeyring(map[byte][]byte{1: bytes.Repeat([]byte{0x5a}, seal.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// fxClient is one browser (cookie jar, redirects not followed so tests see them) or one API
// client (bearer token).
type fxClient struct {
	app     *fxApp
	http    *http.Client
	token   string
	headers http.Header
}

func (a *fxApp) fxBrowser(t *testing.T) *fxClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fxClient{app: a, headers: http.Header{}, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (a *fxApp) fxBearer(t *testing.T, token string) *fxClient {
	c := a.fxBrowser(t)
	c.token = token
	return c
}

// fxLogin signs username in through the login form and fails the test unless it succeeds.
func (a *fxApp) fxLogin(t *testing.T, username, password string) *fxClient {
	t.Helper()
	c := a.fxBrowser(t)
	c.fxSignIn(t, username, password)
	return c
}

func (c *fxClient) fxSignIn(t *testing.T, username, password string) {
	t.Helper()
	r := c.postForm(t, "/login", url.Values{"username": {username}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("login %s: status %d, want 303\n%s", username, r.Status, fxSnippet(r.Body))
	}
}

// fxResp is a response read in full.
type fxResp struct {
	Status int
	Header http.Header
	Body   string
}

func (r fxResp) location() string { return r.Header.Get("Location") }

// json decodes the body into v, failing the test when it is not JSON.
func (r fxResp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, fxSnippet(r.Body))
	}
}

// do sends a request; extra holds header name/value pairs.
func (c *fxClient) do(t *testing.T, method, path string, body []byte, contentType string, extra ...string) fxResp {
	t.Helper()
	req, err := http.NewRequest(method, c.app.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range c.headers {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return fxResp{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (c *fxClient) get(t *testing.T, path string, extra ...string) fxResp {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, "", extra...)
}

func (c *fxClient) postForm(t *testing.T, path string, form url.Values, extra ...string) fxResp {
	t.Helper()
	return c.do(t, http.MethodPost, path, []byte(form.Encode()), "application/x-www-form-urlencoded", extra...)
}

func (c *fxClient) sendJSON(t *testing.T, method, path string, v any, extra ...string) fxResp {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return c.do(t, method, path, b, "application/json", extra...)
}

// fxSnippet shortens a body for failure messages.
func fxSnippet(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// fxUser creates an account as the system actor.
func fxUser(t *testing.T, db *store.DB, username string, role access.Role, unitID int64) auth.User {
	t.Helper()
	var partner int64
	if role == access.AgencyReporter { // a reporter is one agency's: a fixture agency at its unit
		p, err := org.New(db).CreatePartner(context.Background(), access.System, org.PartnerInput{Code: "FX-" + username, UnitID: unitID, Type: "cso",
			NameZH: "测试机构 " + username, NameEN: "Fixture agency " + username})
		if err != nil {
			t.Fatalf("agency of %s: %v", username, err)
		}
		partner = p.ID
	}
	u, err := auth.New(db).CreateUser(context.Background(), access.System, auth.UserInput{
		Username: username, DisplayName: "FX " + username, Password: fxPassword, Role: role, UnitID: unitID, PartnerID: partner})
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	return u
}

// fxToken issues an API token for u and returns its secret.
func fxToken(t *testing.T, db *store.DB, u auth.User) string {
	t.Helper()
	secret, err := auth.New(db).CreateToken(context.Background(), u.Actor(), "fixture")
	if err != nil {
		t.Fatalf("token for %s: %v", u.Username, err)
	}
	return secret
}

// fxUnit creates a unit as the system actor.
func fxUnit(t *testing.T, db *store.DB, code string, level org.Level, parent int64, zh, en, opened string) org.Unit {
	t.Helper()
	u, err := org.New(db).CreateUnit(context.Background(), access.System, org.UnitInput{
		Code: code, Level: level, ParentID: parent, NameZH: zh, NameEN: en, Effective: opened})
	if err != nil {
		t.Fatalf("create unit %s: %v", code, err)
	}
	return u
}

// fxNet is the two-province network of the cross-cutting tests: a national unit with Anhui and
// Jiangsu, and in Jiangsu one record of every kind the web layer shows.
type fxNet struct {
	National, Anhui, AnhuiCity, Jiangsu, JiangsuCity org.Unit
	Partner                                          org.Partner
	Committee                                        org.Committee
	Member                                           org.Member
	Meeting                                          org.Meeting
	Office                                           org.Office
	Position                                         org.Position
}

// Jiangsu's names and codes are distinctive so a leak check cannot be fooled by the same words
// appearing elsewhere (catalogs, the OpenAPI document).
const (
	fxJSCode        = "FXJS32"
	fxJSZH          = "江苏测试省"
	fxJSEN          = "Jiangsu Fixture Province"
	fxJSCityCode    = "FXJS32-NJ"
	fxJSCityZH      = "南京测试市"
	fxJSCityEN      = "Nanjing Fixture City"
	fxJSPartnerCode = "FXJS-WF"
	fxJSPartnerZH   = "江苏测试妇联"
	fxJSPartnerEN   = "Jiangsu Fixture Federation of Women"
	fxJSCommZH      = "江苏测试协调委员会"
	fxJSCommEN      = "Jiangsu Fixture Steering Committee"
	fxJSMember      = "周测试委员"
	fxJSOfficeZH    = "江苏测试项目办"
	fxJSOfficeEN    = "Jiangsu Fixture Project Office"
	fxJSHolder      = "吴测试协调员"
)

// fxJiangsuMarkers are the strings that must never reach a user outside Jiangsu.
var fxJiangsuMarkers = []string{fxJSCode, fxJSZH, fxJSEN, fxJSCityCode, fxJSCityZH, fxJSCityEN, fxJSPartnerCode, fxJSPartnerZH,
	fxJSPartnerEN, fxJSCommZH, fxJSCommEN, fxJSMember, fxJSOfficeZH, fxJSOfficeEN, fxJSHolder}

func fxNetwork(t *testing.T, db *store.DB) fxNet {
	t.Helper()
	ctx := context.Background()
	svc := org.New(db)
	a := access.System
	var n fxNet
	n.National = fxUnit(t, db, "FXCN", org.National, 0, "全国测试", "National Fixture", "2010-01-01")
	n.Anhui = fxUnit(t, db, "FXAH34", org.Provincial, n.National.ID, "安徽测试省", "Anhui Fixture Province", "2010-06-01")
	n.AnhuiCity = fxUnit(t, db, "FXAH34-HF", org.Municipal, n.Anhui.ID, "合肥测试市", "Hefei Fixture City", "2011-01-01")
	n.Jiangsu = fxUnit(t, db, fxJSCode, org.Provincial, n.National.ID, fxJSZH, fxJSEN, "2010-06-01")
	n.JiangsuCity = fxUnit(t, db, fxJSCityCode, org.Municipal, n.Jiangsu.ID, fxJSCityZH, fxJSCityEN, "2011-01-01")
	var err error
	if n.Partner, err = svc.CreatePartner(ctx, a, org.PartnerInput{Code: fxJSPartnerCode, UnitID: n.JiangsuCity.ID, Type: "womens_federation",
		NameZH: fxJSPartnerZH, NameEN: fxJSPartnerEN}); err != nil {
		t.Fatalf("partner: %v", err)
	}
	if n.Committee, err = svc.CreateCommittee(ctx, a, org.CommitteeInput{UnitID: n.JiangsuCity.ID, NameZH: fxJSCommZH, NameEN: fxJSCommEN,
		EstablishedOn: "2011-03-01"}); err != nil {
		t.Fatalf("committee: %v", err)
	}
	if n.Member, err = svc.AddMember(ctx, a, n.Committee.ID, org.MemberInput{PersonName: fxJSMember, PartnerID: n.Partner.ID, Role: "chair",
		Since: "2011-03-01"}); err != nil {
		t.Fatalf("member: %v", err)
	}
	if n.Meeting, err = svc.RecordMeeting(ctx, a, n.Committee.ID, org.MeetingInput{HeldOn: "2012-04-10", Location: "Nanjing",
		Present: []int64{n.Member.ID}, Decisions: []org.Decision{{Text: "Train teachers", DueOn: "2012-06-30"}}}); err != nil {
		t.Fatalf("meeting: %v", err)
	}
	if n.Office, err = svc.CreateOffice(ctx, a, org.OfficeInput{UnitID: n.JiangsuCity.ID, Kind: "provincial", NameZH: fxJSOfficeZH,
		NameEN: fxJSOfficeEN}); err != nil {
		t.Fatalf("office: %v", err)
	}
	if n.Position, err = svc.AddPosition(ctx, a, n.Office.ID, org.PositionInput{Title: "ppc", Holder: fxJSHolder, StartOn: "2011-05-01"}); err != nil {
		t.Fatalf("position: %v", err)
	}
	return n
}

// fxLeaks returns the markers found in body.
func fxLeaks(body string, markers []string) []string {
	// A workbook is a zip archive: its cells are searched, not its compressed bytes.
	if strings.HasPrefix(body, "PK\x03\x04") {
		rows, _ := sheet.ReadXLSX([]byte(body))
		var text strings.Builder
		for _, r := range rows {
			text.WriteString(strings.Join(r.Cells, "\t") + "\n")
		}
		body = text.String()
	}
	var out []string
	for _, m := range markers {
		if strings.Contains(body, m) {
			out = append(out, m)
		}
	}
	return out
}

// Package web serves Ting over HTTP: server-rendered pages in Chinese and English, the JSON API
// under /api/v1, health and metrics. Handlers parse requests, call the domain packages with the
// signed-in actor, and render; they never run SQL and never decide scope themselves.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/klauspost/compress/gzhttp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"ting/internal/access"
	"ting/internal/auth"
	"ting/internal/beneficiaries"
	"ting/internal/org"
	"ting/internal/plans"
	"ting/internal/seal"
	"ting/internal/store"
	"ting/internal/valid"
)

// Server holds the dependencies of every handler.
type Server struct {
	db       *store.DB
	org      *org.Service
	auth     *auth.Service
	sessions *scs.SessionManager
	// submissions makes forms safe to send twice (see once).
	submissions *auth.Submissions
	tmpl        map[string]*template.Template
	log         *slog.Logger
	version     string
	secure      bool
	mux         *http.ServeMux
	routes      []route
	metrics     *metrics
	today       func() string // nil: the real date
	keys        *seal.Keyring // seals and opens beneficiaries' personal fields; nil: none can be
}

// dateToday is the server's today: the real date, or the day the demonstration is seen as of
// (Options.Today), so that every page of one programme judges dates by the same day.
func (s *Server) dateToday() string {
	if s.today != nil {
		return s.today()
	}
	return time.Now().UTC().Format(time.DateOnly)
}

// plansService returns the plans service, judging dates as of the server's today.
func (s *Server) plansService() *plans.Service {
	svc := plans.New(s.db)
	if s.today != nil {
		svc.SetToday(s.today)
	}
	return svc
}

// cardsService returns the beneficiaries service, with the server's keyring and its today.
func (s *Server) cardsService() *beneficiaries.Service {
	svc := beneficiaries.New(s.db, s.keys)
	if s.today != nil {
		svc.SetToday(s.today)
	}
	return svc
}

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// SecureCookies marks cookies Secure (set when served over HTTPS).
	SecureCookies bool
	Version       string
	// Today, when set, is the date every page judges dates by (late reports, withheld funds,
	// periods open for values, effective dates, meetings, the periods offered): the
	// demonstration programme is seen as of its evaluation, not as of the real date.
	Today func() string
	// Keys seal and open the protected personal fields of beneficiary cards; without them
	// cards can be read pseudonymously but not registered or identified.
	Keys *seal.Keyring
}

// route is one registered pattern, kept so tests can walk every route.
type route struct {
	Method, Path string
	API          bool
}

// New builds the server and its routes.
func New(db *store.DB, opt Options) (*Server, error) {
	tmpl, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	if _, err := loadBundle(); err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	sm := scs.New()
	sm.Store = auth.NewSessionStore(db)
	sm.Lifetime = 12 * time.Hour
	sm.IdleTimeout = 2 * time.Hour
	sm.Cookie.Name = "ting_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Secure = opt.SecureCookies
	s := &Server{
		db: db, org: org.New(db), auth: auth.New(db), sessions: sm, submissions: auth.NewSubmissions(db), tmpl: tmpl, log: opt.Logger,
		version: opt.Version, secure: opt.SecureCookies, mux: http.NewServeMux(), metrics: newMetrics(), today: opt.Today,
		keys: opt.Keys,
	}
	if opt.Today != nil {
		s.org.SetToday(opt.Today)
	}
	s.registerRoutes()
	return s, nil
}

// Routes lists every registered route (method and pattern).
func (s *Server) Routes() []route { return s.routes }

// handle registers a page route.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.routes = append(s.routes, route{Method: method, Path: path, API: strings.HasPrefix(path, "/api/")})
	s.mux.Handle(pattern, s.metrics.instrument(pattern, h))
}

// Handler returns the whole HTTP stack.
func (s *Server) Handler() http.Handler {
	var h http.Handler = http.HandlerFunc(s.route)
	h = s.once(h)
	h = s.withActor(h)
	h = s.sessions.LoadAndSave(h)
	h = csrf(h)
	h = s.recoverer(h)
	// Static files are served outside the sessions: no session to read or write, no cookie.
	pages := h
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") {
			statics.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
	// Pages and JSON compress several-fold; on a weak rural connection that matters more
	// than the CPU it costs.
	h = gzhttp.GzipHandler(h)
	h = s.logRequests(h)
	return h
}

func (s *Server) registerRoutes() {
	s.mux.Handle("GET /static/", statics)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	s.handle("GET /healthz", s.healthz)

	s.handle("GET /login", s.loginForm)
	s.handle("POST /login", s.loginSubmit)
	s.handle("POST /logout", s.logout)
	s.handle("GET /lang/{lang}", s.setLang)
	s.handle("GET /{$}", s.page(s.home))

	s.routesUnits()
	s.routesPartners()
	s.routesCommittees()
	s.routesOffices()
	s.routesTransfer()
	s.routesAdmin()
	s.routesAccount()
	s.routesResults()
	s.routesDHIS2()
	s.routesBiannual()
	s.routesNotifications()
	s.routesPlans()
	s.routesCards()
	s.routesServicesImport()
	s.routesAPI()
}

// csrf refuses cross-origin state-changing browser requests (Go's CrossOriginProtection).
// API clients using bearer tokens send no Sec-Fetch-Site/Origin headers and pass.
func csrf(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	return cop.Handler(h)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.db.R.PingContext(ctx); err != nil {
		http.Error(w, "database unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"status": "ok", "database": string(s.db.Dialect)})
}

// ---- request context ----

type ctxKey struct{}

type requestContext struct {
	actor    *access.Actor
	userName string
	tr       Tr
	api      bool // authenticated by bearer token
}

func reqCtx(r *http.Request) *requestContext {
	if rc, ok := r.Context().Value(ctxKey{}).(*requestContext); ok {
		return rc
	}
	return &requestContext{tr: NewTr(pickLang(r, ""))}
}

// withActor resolves the session or bearer token to an actor and picks the language.
func (s *Server) withActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := &requestContext{}
		var userLang string
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			u, err := s.auth.Authenticate(r.Context(), strings.TrimPrefix(h, "Bearer "))
			if err != nil {
				rc.tr = NewTr(pickLang(r, ""))
				ctx := context.WithValue(r.Context(), ctxKey{}, rc)
				s.apiError(w, r.WithContext(ctx), http.StatusUnauthorized, "unauthorized", "", "")
				return
			}
			a := u.Actor()
			rc.actor, rc.userName, rc.api, userLang = &a, u.DisplayName, true, u.Lang
		} else if id := s.sessions.GetInt64(r.Context(), "user_id"); id != 0 {
			u, err := s.auth.UserByID(r.Context(), id)
			if err == nil && u.Active {
				a := u.Actor()
				rc.actor, rc.userName, userLang = &a, u.DisplayName, u.Lang
			} else {
				s.sessions.Remove(r.Context(), "user_id")
			}
		}
		rc.tr = NewTr(pickLang(r, userLang))
		if l := r.URL.Query().Get("lang"); (l == "zh" || l == "en") && r.Method == http.MethodGet {
			s.rememberLang(w, r, rc, l)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, rc)))
	})
}

func (s *Server) rememberLang(w http.ResponseWriter, r *http.Request, rc *requestContext, lang string) {
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.secure})
	if rc.actor != nil && !rc.api {
		if err := s.auth.SetLang(r.Context(), rc.actor.UserID, lang); err != nil {
			s.log.Warn("save language preference", "err", err)
		}
	}
}

// setLang is the switcher for clients that cannot keep the query string: it stores the
// choice and returns to the referring page on this site.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != "zh" && lang != "en" {
		s.notFound(w, r)
		return
	}
	s.rememberLang(w, r, reqCtx(r), lang)
	back := "/"
	if ref, ok := sameSiteReferer(r); ok {
		back = ref.String()
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// sameSiteReferer is the path and query of r's Referer when it is a page of this site (a
// foreign page, or a path another host could be read from, gives false).
func sameSiteReferer(r *http.Request) (*url.URL, bool) {
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || ref.Host == "" || ref.Host != r.Host || (ref.Scheme != "http" && ref.Scheme != "https") ||
		!strings.HasPrefix(ref.Path, "/") || strings.HasPrefix(ref.Path, "//") {
		return nil, false
	}
	return &url.URL{Path: ref.Path, RawQuery: ref.RawQuery}, true
}

// page wraps a handler that needs a signed-in user; others are sent to the login page.
func (s *Server) page(h func(w http.ResponseWriter, r *http.Request, a access.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		if rc.actor == nil {
			// A form sent after the session ended leads, after signing in, back to the page the
			// form was on: its own address may serve no GET.
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				next = s.formPage(r).RequestURI()
				s.flash(r, "form.signed_out")
			}
			http.Redirect(w, r, "/login?next="+urlEscape(next), http.StatusSeeOther)
			return
		}
		h(w, r, *rc.actor)
	}
}

// ---- errors ----

// fail answers a domain error on a page route: not found, forbidden, or 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.notFound(w, r)
	case errors.Is(err, access.ErrForbidden):
		s.render(w, r, http.StatusForbidden, "error", &Page{Title: reqCtx(r).tr.T("error.forbidden"), Data: "error.forbidden_text"})
	default:
		s.serverError(w, r, err)
	}
}

// route hands r to the route that serves it. An address no route serves under any method gets
// the framed, translated "no such page" (with the navigation when signed in) rather than the
// mux's bare English text; under /api/ it gets the API's JSON error. A known address asked
// with the wrong method keeps the mux's 405.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" && !s.otherMethodServes(r) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			s.apiError(w, r, http.StatusNotFound, "not_found", "", "")
			return
		}
		s.render(w, r, http.StatusNotFound, "error", &Page{Title: reqCtx(r).tr.T("error.page_not_found"), Data: "error.page_not_found_text"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// otherMethodServes reports whether some route serves r's path under another method.
func (s *Server) otherMethodServes(r *http.Request) bool {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		if _, pattern := s.mux.Handler(&http.Request{Method: m, URL: r.URL, Host: r.Host}); pattern != "" {
			return true
		}
	}
	return false
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusNotFound, "error", &Page{Title: reqCtx(r).tr.T("error.not_found"), Data: "error.not_found_text"})
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	w.Write([]byte(reqCtx(r).tr.T("error.internal")))
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "path", r.URL.Path, "panic", p)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int)        { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" || strings.HasPrefix(r.URL.Path, "/static/") {
			return
		}
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
	})
}

// ---- flash messages and small helpers ----

func (s *Server) flash(r *http.Request, key string) { s.sessions.Put(r.Context(), "flash", key) }

func (s *Server) popFlash(r *http.Request) string {
	if _, ok := r.Context().Value(ctxKey{}).(*requestContext); !ok {
		return ""
	}
	key := s.sessions.PopString(r.Context(), "flash")
	if key == "" {
		return ""
	}
	return reqCtx(r).tr.T(key)
}

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

func queryInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return n
}

func formInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(name)), 10, 64)
	return n
}

// recordForm runs one form posted to a record's page (/things/{id}/…): when change succeeds
// it flashes "saved" and redirects to the URL change returns; when a rule is broken it
// re-renders the record's page, built by page with the failures, with status 422; any other
// error fails the request.
func (s *Server) recordForm(w http.ResponseWriter, r *http.Request, change func(id int64) (string, error),
	page func(id int64, es valid.Errors) (string, *Page, error)) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	r.ParseForm()
	next, err := change(id)
	if err == nil {
		s.flash(r, "flash.saved")
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	es, err := formErrors(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, p, err := page(id, es)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Errors = es
	s.render(w, r, http.StatusUnprocessableEntity, name, p)
}

// formErrors extracts validation failures; other errors are returned unchanged.
func formErrors(err error) (valid.Errors, error) {
	if es, ok := valid.As(err); ok {
		return es, nil
	}
	return nil, err
}

// ---- metrics ----

type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ting_http_requests_total", Help: "HTTP requests by route and status class."}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ting_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	m.registry.MustRegister(m.requests, m.duration, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		h.ServeHTTP(sw, r)
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status/100)+"xx").Inc()
	})
}

// PurgeSessions deletes expired sessions every interval until ctx ends.
func (s *Server) PurgeSessions(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := auth.NewSessionStore(s.db).Purge(ctx); err != nil {
				s.log.Warn("purge sessions", "err", err)
			}
		}
	}
}

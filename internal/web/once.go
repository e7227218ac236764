package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"ting/internal/auth"
)

// onceParam is the query parameter that carries a form's submit key. It rides on the form's
// address rather than in its fields so that an upload's body, which once never reads, stays
// the handler's to limit and parse.
const onceParam = "_once"

// postForm finds the opening tag of a form sent by POST; formAction finds its action, and
// buttonAction a submit button's own action (formaction), which replaces the form's.
var (
	postForm     = regexp.MustCompile(`(?i)<form\b[^>]*\bmethod="post"[^>]*>`)
	formAction   = regexp.MustCompile(`\baction="([^"]*)"`)
	buttonAction = regexp.MustCompile(`\bformaction="([^"]*)"`)
)

// withKey is an action attribute (`action="…"` or `formaction="…"`) with a fresh submit key.
func withKey(attr []byte) []byte {
	name, value, _ := strings.Cut(string(attr), `="`)
	value = strings.TrimSuffix(value, `"`)
	sep := "?"
	if strings.Contains(value, "?") {
		sep = "&amp;"
	}
	return []byte(name + `="` + value + sep + onceParam + "=" + auth.NewSubmitKey() + `"`)
}

// onceForms gives every POST form of a rendered page, and every submit button with its own
// action, a submit key of its own, on its action, so that sending the form twice does its work
// once (see Server.once). It reports whether the page has such a form.
func onceForms(page []byte) ([]byte, bool) {
	found := false
	page = postForm.ReplaceAllFunc(page, func(tag []byte) []byte {
		found = true
		return formAction.ReplaceAllFunc(tag, withKey)
	})
	if found {
		page = buttonAction.ReplaceAllFunc(page, withKey)
	}
	return page, found
}

// statusRecorder remembers the status a handler answered with and, when keep is set, the
// body it wrote, up to maxKept bytes.
type statusRecorder struct {
	http.ResponseWriter
	status   int
	keep     bool
	body     bytes.Buffer
	overflow bool
}

// maxKept is the largest API answer kept to give again; a longer one is not kept, and a retry
// does the request again.
const maxKept = 1 << 20

func (w *statusRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.keep && !w.overflow {
		if w.body.Len()+len(b) > maxKept {
			w.overflow = true
		} else {
			w.body.Write(b)
		}
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// onceWait is how long a repeated sending waits for its first sending to finish.
var onceWait = 10 * time.Second

// idempotencyKey is the header with which an API client makes a POST safe to send again.
const idempotencyKey = "Idempotency-Key"

// maxHashed is the largest body whose hash tells one sending from another; a larger one is
// not protected.
const maxHashed = 16 << 20

// sending is what once knows of a request that carries a key.
type sending struct {
	key     string // the key as kept: the user's API key under the user, or a form key with its body's hash
	request string // the hash of an API request's body, compared on a repeat
	api     bool
}

// sendingOf reads r's key. A page form's key is the submit key of its rendering with a hash of
// the fields sent (a different entry sent from the same rendering, say after the back button,
// is another sending); an upload's fields are not hashed (on a page or through the API), since
// every sending of an upload has a body of its own (its boundary). An API client's Idempotency-Key is kept under the user, since clients choose
// their own, with a hash of the body to refuse the key's reuse for another request. ok is false
// when r carries no key; bad when an API key is malformed.
func sendingOf(r *http.Request, rc *requestContext) (x sending, ok, bad bool, err error) {
	if r.Method != http.MethodPost || rc.actor == nil || rc.actor.UserID == 0 {
		return x, false, false, nil
	}
	x.api = strings.HasPrefix(r.URL.Path, "/api/")
	var key string
	if x.api {
		key = r.Header.Get(idempotencyKey)
		if key == "" {
			return x, false, false, nil
		}
		if len(key) > 200 || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
			return x, false, true, nil
		}
		key = "api:" + strconv.FormatInt(rc.actor.UserID, 10) + ":" + key
	} else {
		key = r.URL.Query().Get(onceParam)
		if !auth.ValidSubmitKey(key) {
			return x, false, false, nil
		}
	}
	hash := ""
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/") {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxHashed+1))
		if err != nil {
			return x, false, false, err
		}
		if len(body) > maxHashed {
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
			return x, false, false, nil
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		hash = bodyHash(ct, body)
	}
	if x.api {
		x.key, x.request = key, hash
	} else {
		x.key = key + ":" + hash
	}
	return x, true, false, nil
}

// bodyHash tells one request body from another.
func bodyHash(contentType string, body []byte) string {
	sum := sha256.Sum256(append([]byte(contentType+"\x00"), body...))
	return hex.EncodeToString(sum[:16])
}

// once makes a signed-in user's forms, and an API client's POSTs sent with an Idempotency-Key,
// safe to send again. A sending whose key was used already is not done again: a page's form
// leads where its first sending led, saying it was saved once; an API request gets the first
// answer again (marked Idempotent-Replayed). While the first sending still runs, the repeat
// waits for it. A sending that did not succeed (the form came back with its errors, the API
// answered an error) leaves the key free, so the corrected request goes through. An answer
// marked no-store (it shows personal data, as opening a card's identity does) is never kept:
// its request is done again, and logged again.
func (s *Server) once(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		x, ok, bad, err := sendingOf(r, rc)
		switch {
		case err != nil:
			// The body could not be read: the client went while sending it.
			w.WriteHeader(http.StatusBadRequest)
			return
		case bad:
			s.apiError(w, r, http.StatusBadRequest, "idempotency_key", idempotencyKey, "")
			return
		case !ok:
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		// What is recorded of the sending is recorded even when the client has gone: a
		// dropped connection is the very case this is for.
		keep := context.WithoutCancel(ctx)
		claim := func() (auth.Sending, auth.Outcome, error) {
			return s.submissions.Claim(keep, x.key, rc.actor.UserID, r.URL.Path, x.request)
		}
		state, out, err := claim()
		deadline := time.Now().Add(onceWait)
		for err == nil && state == auth.Running && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			var done, gone bool
			switch out, done, gone, err = s.submissions.Result(keep, x.key); {
			case err != nil:
			case gone: // the first failed and freed the key: this sending is a first one now
				state, out, err = claim()
			case done:
				state = auth.Repeat
			}
		}
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		switch {
		case state == auth.Foreign || state == auth.Elsewhere && !x.api:
			next.ServeHTTP(w, r)
			return
		case state == auth.Elsewhere:
			s.apiError(w, r, http.StatusUnprocessableEntity, "idempotency_reused", idempotencyKey, "")
			return
		case state == auth.Repeat && x.api:
			w.Header().Set("Content-Type", out.ContentType)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(out.Status)
			w.Write(out.Body)
			return
		case state == auth.Repeat:
			s.flash(r, "form.already_saved")
			http.Redirect(w, r, out.Location, http.StatusSeeOther)
			return
		case state == auth.Running && x.api:
			s.apiError(w, r, http.StatusConflict, "idempotency_running", idempotencyKey, "")
			return
		case state == auth.Running:
			s.render(w, r, http.StatusConflict, "error", &Page{Title: rc.tr.T("form.being_saved"), Data: "form.being_saved_text"})
			return
		}
		// The first sending: keep the key alive while it runs, and free it if the handler
		// panics (the recoverer answers further out).
		stop := make(chan struct{})
		go func() {
			t := time.NewTicker(auth.Unfinished / 4)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if err := s.submissions.Touch(keep, x.key); err != nil {
						s.log.Warn("keep a sending alive", "err", err)
					}
				}
			}
		}()
		rec := &statusRecorder{ResponseWriter: w, keep: x.api}
		recorded := false
		defer func() {
			close(stop)
			if !recorded {
				if err := s.submissions.Release(keep, x.key); err != nil {
					s.log.Warn("free a sending's key", "err", err)
				}
			}
		}()
		next.ServeHTTP(rec, r)
		personal := strings.Contains(rec.Header().Get("Cache-Control"), "no-store")
		switch loc := rec.Header().Get("Location"); {
		case x.api && rec.status >= 200 && rec.status < 300 && !rec.overflow && !personal:
			err = s.submissions.Answered(keep, x.key, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes())
			recorded = err == nil
		case !x.api && (rec.status == http.StatusSeeOther || rec.status == http.StatusFound):
			if loc == "" {
				loc = "/"
			}
			err = s.submissions.Done(keep, x.key, withoutOnce(loc))
			recorded = err == nil
		}
		if err != nil {
			s.log.Warn("record a sending", "err", err)
		}
	})
}

// withoutOnce drops a submit key from an address (a handler that leads back to the address it
// was sent to would otherwise carry it on).
func withoutOnce(loc string) string {
	u, err := url.Parse(loc)
	if err != nil || !u.Query().Has(onceParam) {
		return loc
	}
	q := u.Query()
	q.Del(onceParam)
	u.RawQuery = q.Encode()
	return u.String()
}

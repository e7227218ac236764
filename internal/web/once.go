package web

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"ting/internal/auth"
)

// onceParam is the query parameter that carries a form's submit key. It rides on the form's
// address rather than in its fields so that it is read without reading the body (an upload's
// body is the handler's to limit and parse).
const onceParam = "_once"

// postForm finds the opening tag of a form sent by POST and, within it, its action.
var (
	postForm   = regexp.MustCompile(`(?i)<form\b[^>]*\bmethod="post"[^>]*>`)
	formAction = regexp.MustCompile(`\baction="([^"]*)"`)
)

// onceForms gives every POST form of a rendered page a submit key of its own, on its action,
// so that sending the form twice does its work once (see Server.once). A form without an
// action is left as it is.
func onceForms(page []byte) []byte {
	return postForm.ReplaceAllFunc(page, func(tag []byte) []byte {
		return formAction.ReplaceAllFunc(tag, func(attr []byte) []byte {
			action := string(attr[len(`action="`) : len(attr)-1])
			sep := "?"
			if strings.Contains(action, "?") {
				sep = "&amp;"
			}
			return []byte(`action="` + action + sep + onceParam + "=" + auth.NewSubmitKey() + `"`)
		})
	})
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

// sendingKey is the key of r's sending: a page form's submit key, or an API client's
// Idempotency-Key (kept under the user, since clients choose their own), with ok false when r
// carries none; bad is set when an API key is malformed.
func sendingKey(r *http.Request, rc *requestContext) (key string, ok, bad bool) {
	if r.Method != http.MethodPost || rc.actor == nil || rc.actor.UserID == 0 {
		return "", false, false
	}
	if rc.api {
		k := r.Header.Get(idempotencyKey)
		if k == "" {
			return "", false, false
		}
		if len(k) > 200 || strings.IndexFunc(k, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
			return "", false, true
		}
		return "api:" + strconv.FormatInt(rc.actor.UserID, 10) + ":" + k, true, false
	}
	k := r.URL.Query().Get(onceParam)
	return k, auth.ValidSubmitKey(k), false
}

// once makes a signed-in user's forms, and an API client's POSTs sent with an Idempotency-Key,
// safe to send again. A sending whose key was used already is not done again: a page's form
// leads where its first sending led, saying it was saved once; an API request gets the first
// answer again (marked Idempotent-Replayed). While the first sending still runs, the repeat
// waits for it. A sending that did not succeed (the form came back with its errors, the API
// answered an error) leaves the key free, so the corrected request goes through.
func (s *Server) once(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		key, ok, bad := sendingKey(r, rc)
		if bad {
			s.apiError(w, r, http.StatusBadRequest, "idempotency_key", idempotencyKey, "")
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		sending, out, err := s.submissions.Claim(ctx, key, rc.actor.UserID, r.URL.Path)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		deadline := time.Now().Add(onceWait)
		for sending == auth.Running && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			var done bool
			if out, done, err = s.submissions.Result(ctx, key); err != nil {
				s.serverError(w, r, err)
				return
			}
			if done {
				sending = auth.Repeat
			}
		}
		switch {
		case sending == auth.Foreign:
			next.ServeHTTP(w, r)
			return
		case sending == auth.Elsewhere:
			s.apiError(w, r, http.StatusUnprocessableEntity, "idempotency_reused", idempotencyKey, "")
			return
		case sending == auth.Repeat && rc.api:
			w.Header().Set("Content-Type", out.ContentType)
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(out.Status)
			w.Write(out.Body)
			return
		case sending == auth.Repeat:
			s.flash(r, "form.already_saved")
			http.Redirect(w, r, out.Location, http.StatusSeeOther)
			return
		case sending == auth.Running && rc.api:
			s.apiError(w, r, http.StatusConflict, "idempotency_running", idempotencyKey, "")
			return
		case sending == auth.Running:
			s.render(w, r, http.StatusConflict, "error", &Page{Title: rc.tr.T("form.being_saved"), Data: "form.being_saved_text"})
			return
		}
		rec := &statusRecorder{ResponseWriter: w, keep: rc.api}
		next.ServeHTTP(rec, r)
		switch loc := rec.Header().Get("Location"); {
		case rc.api && rec.status >= 200 && rec.status < 300 && !rec.overflow:
			err = s.submissions.Answered(ctx, key, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes())
		case !rc.api && (rec.status == http.StatusSeeOther || rec.status == http.StatusFound):
			if loc == "" {
				loc = "/"
			}
			err = s.submissions.Done(ctx, key, withoutOnce(loc))
		default:
			err = s.submissions.Release(ctx, key)
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

package web

import (
	"net/http"
	"net/url"
	"regexp"
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

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

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
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// onceWait is how long a repeated sending waits for its first sending to finish.
var onceWait = 10 * time.Second

// once makes a signed-in user's forms safe to send again. A form sent with a key already used
// is not done again: the user is led where its first sending led, told that it was saved
// once; while the first sending still runs, the repeat waits for it. A sending that did not
// succeed (the form came back with its errors) leaves the key free, so the corrected form
// goes through.
func (s *Server) once(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := reqCtx(r)
		key := r.URL.Query().Get(onceParam)
		if r.Method != http.MethodPost || key == "" || !auth.ValidSubmitKey(key) || rc.actor == nil || rc.api || rc.actor.UserID == 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		sending, location, err := s.submissions.Claim(ctx, key, rc.actor.UserID)
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
			if location, err = s.submissions.Where(ctx, key); err != nil {
				s.serverError(w, r, err)
				return
			}
			if location != "" {
				sending = auth.Repeat
			}
		}
		switch sending {
		case auth.Foreign:
			next.ServeHTTP(w, r)
			return
		case auth.Repeat:
			s.flash(r, "form.already_saved")
			http.Redirect(w, r, location, http.StatusSeeOther)
			return
		case auth.Running:
			s.render(w, r, http.StatusConflict, "error", &Page{Title: rc.tr.T("form.being_saved"), Data: "form.being_saved_text"})
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if loc := rec.Header().Get("Location"); rec.status == http.StatusSeeOther || rec.status == http.StatusFound {
			if loc == "" {
				loc = "/"
			}
			err = s.submissions.Done(ctx, key, withoutOnce(loc))
		} else {
			err = s.submissions.Release(ctx, key)
		}
		if err != nil {
			s.log.Warn("record a form's sending", "err", err)
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

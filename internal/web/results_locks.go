package web

import (
	"net/http"
	"net/url"
	"strings"

	"ting/internal/access"
	"ting/internal/results"
	"ting/internal/valid"
)

// Period locks and deleting a value: the two ways a figure stops changing or loses a record.

func (h *resultsWeb) routesLocks() {
	s := h.Server
	s.handle("GET /results/locks", s.page(h.locksPage))
	s.handle("POST /results/locks", s.page(h.lockSet))
	s.handle("POST /results/values/{id}/delete", s.page(h.valueDelete))
	s.handle("GET /api/v1/locks", apiAll(s, h.svc.Locks))
	s.handle("POST /api/v1/locks", s.api(h.apiLock(true)))
	s.handle("POST /api/v1/locks/release", s.api(h.apiLock(false)))
	s.handle("DELETE /api/v1/values/{id}", s.api(h.apiValueDelete))
}

type resLockLine struct {
	results.Lock
	UnitName string
	Label    string
}

type resLocksData struct {
	Lines   []resLockLine
	CanLock bool
}

func (h *resultsWeb) locksPage(w http.ResponseWriter, r *http.Request, a access.Actor) {
	h.renderLocks(w, r, a, http.StatusOK, nil)
}

func (h *resultsWeb) renderLocks(w http.ResponseWriter, r *http.Request, a access.Actor, status int, es valid.Errors) {
	tr := reqCtx(r).tr
	locks, err := h.svc.Locks(r.Context(), a)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := resLocksData{CanLock: a.Can(access.EditResults)}
	for _, l := range locks {
		line := resLockLine{Lock: l, UnitName: l.UnitName(tr.Lang), Label: l.Period}
		if p, err := results.ParsePeriod(l.Period); err == nil {
			line.Label = resPeriodLabel(tr, p)
		}
		d.Lines = append(d.Lines, line)
	}
	h.render(w, r, status, "results_locks", &Page{Title: tr.T("locks.title"), Data: d, Errors: es})
}

// lockSet locks (or, with unlock, releases) a period for a unit; from the entry form it
// returns there.
func (h *resultsWeb) lockSet(w http.ResponseWriter, r *http.Request, a access.Actor) {
	r.ParseForm()
	unit, period := formInt(r, "unit_id"), strings.TrimSpace(r.PostFormValue("period"))
	var err error
	if r.PostFormValue("unlock") != "" {
		if lu := formInt(r, "lock_unit"); lu != 0 {
			unit, period = lu, strings.TrimSpace(r.PostFormValue("lock_period"))
		}
		err = h.svc.UnlockPeriod(r.Context(), a, unit, period)
	} else {
		err = h.svc.LockPeriod(r.Context(), a, unit, period)
	}
	if es, ok := valid.As(err); ok {
		h.renderLocks(w, r, a, http.StatusUnprocessableEntity, es)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.flash(r, "flash.saved")
	next := "/results/locks"
	if fw := r.PostFormValue("framework"); fw != "" {
		next = "/results/entry?" + url.Values{"framework": {fw}, "unit": {r.PostFormValue("unit_id")}, "period": {r.PostFormValue("period")}}.Encode()
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// valueDelete removes one value and goes back to the list of values it was on.
func (h *resultsWeb) valueDelete(w http.ResponseWriter, r *http.Request, a access.Actor) {
	id, ok := pathID(r, "id")
	if !ok {
		h.notFound(w, r)
		return
	}
	r.ParseForm()
	err := h.svc.DeleteValue(r.Context(), a, id)
	if es, ok := valid.As(err); ok {
		h.renderLocks(w, r, a, http.StatusUnprocessableEntity, es)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.flash(r, "flash.deleted")
	next := r.PostFormValue("back")
	if !strings.HasPrefix(next, "/results/values?") {
		next = "/results"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

type resLockBody struct {
	UnitID int64  `json:"unit_id"`
	Period string `json:"period"`
}

func (h *resultsWeb) apiLock(lock bool) func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	return func(w http.ResponseWriter, r *http.Request, a access.Actor) error {
		var b resLockBody
		if err := decode(r, &b); err != nil {
			return err
		}
		change := h.svc.UnlockPeriod
		if lock {
			change = h.svc.LockPeriod
		}
		if err := change(r.Context(), a, b.UnitID, strings.TrimSpace(b.Period)); err != nil {
			return err
		}
		locks, err := h.svc.Locks(r.Context(), a)
		if err != nil {
			return err
		}
		writeAll(w, locks)
		return nil
	}
}

func (h *resultsWeb) apiValueDelete(w http.ResponseWriter, r *http.Request, a access.Actor) error {
	id, err := pathIDErr(r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteValue(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

package auth

import (
	"context"
	"testing"
	"time"

	"ting/internal/store"
	"ting/internal/store/storetest"
)

// TestSubmissions walks a form key through its sendings: the first claims it, a second while
// it runs is told so, a failed first frees it, a succeeded first leads every later sending to
// its location, another user's sending is foreign, and a first that died unfinished (the server
// stopped) is taken over once it is older than Unfinished.
func TestSubmissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := NewSubmissions(db)
		clock := time.Date(2012, 6, 30, 9, 0, 0, 123456000, time.UTC)
		s.now = func() time.Time { return clock }
		want := func(what string, key string, user int64, sending Sending, location string) {
			t.Helper()
			got, out, err := s.Claim(ctx, key, user, "/cards/7/services", "h1")
			if err != nil || got != sending || out.Location != location {
				t.Errorf("%s: %v %q (%v), want %v %q", what, got, out.Location, err, sending, location)
			}
		}
		if ValidSubmitKey("x") || ValidSubmitKey("zz"+NewSubmitKey()[2:]) || !ValidSubmitKey(NewSubmitKey()) || NewSubmitKey() == NewSubmitKey() {
			t.Error("submit keys: shape or freshness wrong")
		}
		k := NewSubmitKey()
		want("first", k, 1, First, "")
		want("while the first runs", k, 1, Running, "")
		want("another user", k, 2, Foreign, "")
		if err := s.Release(ctx, k); err != nil {
			t.Fatal(err)
		}
		want("after a failed first", k, 1, First, "")
		if err := s.Done(ctx, k, "/cards/7"); err != nil {
			t.Fatal(err)
		}
		want("after it succeeded", k, 1, Repeat, "/cards/7")
		if err := s.Release(ctx, k); err != nil {
			t.Fatal(err)
		}
		want("a release does not forget a success", k, 1, Repeat, "/cards/7")
		if out, done, gone, err := s.Result(ctx, k); err != nil || !done || gone || out.Location != "/cards/7" {
			t.Errorf("result: %+v %v %v %v", out, done, gone, err)
		}
		if got, _, err := s.Claim(ctx, k, 1, "/cards/8/services", "h1"); err != nil || got != Elsewhere {
			t.Errorf("the key sent to another address: %v %v, want Elsewhere", got, err)
		}
		if got, _, err := s.Claim(ctx, k, 1, "/cards/7/services", "h2"); err != nil || got != Elsewhere {
			t.Errorf("the key sent with another body: %v %v, want Elsewhere", got, err)
		}

		// An API answer is kept whole and given again.
		api := NewSubmitKey()
		want("an API request", api, 1, First, "")
		if err := s.Answered(ctx, api, 201, "application/json", []byte(`{"id":5}`)); err != nil {
			t.Fatal(err)
		}
		if got, out, err := s.Claim(ctx, api, 1, "/cards/7/services", "h1"); err != nil || got != Repeat || out.Status != 201 || out.ContentType != "application/json" ||
			string(out.Body) != `{"id":5}` {
			t.Errorf("the API request again: %v %+v %v", got, out, err)
		}

		dead := NewSubmitKey()
		want("first of one that dies", dead, 1, First, "")
		clock = clock.Add(Unfinished - time.Second)
		want("not yet abandoned", dead, 1, Running, "")
		clock = clock.Add(2 * time.Second)
		want("abandoned, taken over", dead, 1, First, "")
		want("the take-over runs", dead, 1, Running, "")
		// A long first sending that says it is still running is not taken over.
		clock = clock.Add(Unfinished - time.Second)
		if err := s.Touch(ctx, dead); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(2 * time.Second)
		want("kept alive", dead, 1, Running, "")
		// Released, the key reads as gone.
		if err := s.Release(ctx, dead); err != nil {
			t.Fatal(err)
		}
		if _, done, gone, err := s.Result(ctx, dead); err != nil || done || !gone {
			t.Errorf("a released key: done %v gone %v (%v)", done, gone, err)
		}
	})
}

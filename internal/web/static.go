package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

// staticFiles serves the embedded stylesheet and any other static file. Pages name each file
// with a hash of its content (staticPath), so a file's address changes when it does: browsers
// keep it a year without asking again, which on a slow connection saves a round trip per page.
// A request without the current hash (an old page, a bookmark) is still answered, kept an hour
// and revalidated by its ETag. The handler sits outside the sessions, so a stylesheet costs no
// session read or write and carries no cookie.
type staticFiles struct {
	files  http.Handler
	hashes map[string]string // path under /static/ → hash of its content
}

// statics are the embedded static files, read once.
var statics = newStaticFiles()

func newStaticFiles() *staticFiles {
	root, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	st := &staticFiles{files: http.StripPrefix("/static/", http.FileServerFS(root)), hashes: map[string]string{}}
	err = fs.WalkDir(root, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(root, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		st.hashes[path] = hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		panic(err)
	}
	return st
}

// path is the address of the static file name, with its hash.
func (st *staticFiles) path(name string) string {
	if h, ok := st.hashes[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}

func (st *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h, ok := st.hashes[strings.TrimPrefix(r.URL.Path, "/static/")]
	if ok {
		w.Header().Set("ETag", `"`+h+`"`)
	}
	if ok && r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=3600")
	}
	st.files.ServeHTTP(w, r)
}

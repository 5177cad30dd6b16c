package api

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"html"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// staticFiles serves the dashboard's files. It knows every file from a walk
// at start-up, so a request never touches the file system for a name it
// does not hold, and it answers:
//
//   - the precomputed gzip variant (name.gz beside the file, made by
//     go generate in internal/web) to clients that accept gzip, with
//     Vary: Accept-Encoding;
//   - a strong ETag per variant, from the SHA-256 of its bytes, and 304 to
//     a matching If-None-Match (http.ServeContent does the matching);
//   - Cache-Control by kind: versioned vendor files are immutable, icons
//     keep a week, everything else is revalidated (module names carry no
//     hash, so a cached app.js would outlive an upgrade);
//   - a 4xx for every bad path, never a 500 (see staticPath).
//
// Only the ETags and types are kept on the heap (a few KB); the bytes stay
// in the binary's embedded data.
type staticFiles struct {
	fsys  fs.FS
	files map[string]staticFile
}

type staticFile struct {
	ctype  string
	cache  string
	etag   string
	gzEtag string // "" when there is no gzip variant
}

// maxStaticPath bounds the URL path; the longest real name is far shorter.
const maxStaticPath = 1024

// newStaticFiles indexes fsys. A gzip variant whose content is not the
// file's is left out, so a stale variant can never be served.
func newStaticFiles(fsys fs.FS) (*staticFiles, error) {
	s := &staticFiles{fsys: fsys, files: map[string]staticFile{}}
	var gz []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(name, ".gz") {
			gz = append(gz, name)
			return nil
		}
		tag, err := etagOf(fsys, name)
		if err != nil {
			return err
		}
		s.files[name] = staticFile{ctype: contentType(name), cache: cacheControl(name), etag: tag}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("api: index the dashboard files: %w", err)
	}
	var zr *gzip.Reader // reused: each new one allocates its window
	buf := make([]byte, 32<<10)
	for _, name := range gz {
		orig := strings.TrimSuffix(name, ".gz")
		f, ok := s.files[orig]
		if !ok {
			continue // a file that is itself a .gz download
		}
		tag, inner, err := gzipTags(fsys, name, &zr, buf)
		if err != nil {
			return nil, fmt.Errorf("api: index the dashboard files: %w", err)
		}
		if inner != f.etag {
			// A variant not regenerated after an edit (go generate
			// ./internal/web): serving it would serve the old file.
			continue
		}
		f.gzEtag = tag
		s.files[orig] = f
	}
	return s, nil
}

// gzipTags returns the ETag of a gzip file and the ETag of its content.
func gzipTags(fsys fs.FS, name string, zr **gzip.Reader, buf []byte) (tag, inner string, err error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	outer := sha256.New()
	src := bufio.NewReader(io.TeeReader(f, outer))
	if *zr == nil {
		*zr, err = gzip.NewReader(src)
	} else {
		err = (*zr).Reset(src)
	}
	if err != nil {
		return "", "", fmt.Errorf("read %s: %w", name, err)
	}
	h := sha256.New()
	if _, err := io.CopyBuffer(h, *zr, buf); err != nil {
		return "", "", fmt.Errorf("read %s: %w", name, err)
	}
	// Anything after the gzip stream: read through the tee into outer.
	if _, err := io.CopyBuffer(io.Discard, src, buf); err != nil {
		return "", "", fmt.Errorf("read %s: %w", name, err)
	}
	return tagOf(outer), tagOf(h), nil
}

// etagOf is a strong ETag: the first 16 bytes of the SHA-256, base64url.
func etagOf(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	return tagOf(h), nil
}

func tagOf(h hash.Hash) string {
	return `"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// Types Go's mime table lacks or gets wrong on some systems (the table
// reads /etc/mime.types, which differs between machines).
var staticTypes = map[string]string{
	".html":        "text/html; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".json":        "application/json; charset=utf-8",
	".webmanifest": "application/manifest+json",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".md":          "text/markdown; charset=utf-8",
	".txt":         "text/plain; charset=utf-8",
}

func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if t, ok := staticTypes[ext]; ok {
		return t
	}
	if path.Base(name) == "README" || path.Base(name) == "LICENSE" {
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

func cacheControl(name string) string {
	switch {
	case strings.HasPrefix(name, "vendor/") && strings.Count(name, "/") >= 2:
		// vendor/<name>-<version>/...: a new version is a new path.
		return "max-age=31536000, immutable"
	case strings.HasPrefix(name, "icons/"):
		return "max-age=604800"
	}
	return "no-cache"
}

// staticPath turns a request path under /dashboard/ into a file name, or an
// error with the status to answer.
func staticPath(urlPath string) (string, *Error) {
	if len(urlPath) > maxStaticPath {
		return "", &Error{Status: http.StatusRequestURITooLong, Message: fmt.Sprintf("The path is longer than %d bytes.", maxStaticPath)}
	}
	name := strings.TrimPrefix(urlPath, "/dashboard/")
	if name == "" || strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	if !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\\") || !fs.ValidPath(name) {
		return "", &Error{Status: http.StatusBadRequest, Message: "The path is not a valid file name; open /dashboard/."}
	}
	return name, nil
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, perr := staticPath(r.URL.Path)
	if perr != nil {
		writeHTTPError(w, r, perr.Status, perr.Message)
		return
	}
	f, ok := s.files[name]
	if !ok {
		writeHTTPError(w, r, http.StatusNotFound, "No such file in the dashboard; open /dashboard/.")
		return
	}
	h := w.Header()
	open, tag := name, f.etag
	if f.gzEtag != "" {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Values("Accept-Encoding")) {
			open, tag = name+".gz", f.gzEtag
			h["Content-Encoding"] = []string{"gzip"}
		}
	}
	file, err := s.fsys.Open(open)
	if err != nil {
		writeHTTPError(w, r, http.StatusNotFound, "No such file in the dashboard; open /dashboard/.")
		return
	}
	defer file.Close()
	rs, ok := file.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(file)
		if err != nil {
			writeHTTPError(w, r, http.StatusNotFound, "The file could not be read; open /dashboard/.")
			return
		}
		rs = bytes.NewReader(b)
	}
	h["Content-Type"] = []string{f.ctype}
	h["Cache-Control"] = []string{f.cache}
	h["Etag"] = []string{tag}
	// A zero time: no Last-Modified; the ETag is the validator.
	http.ServeContent(w, r, name, time.Time{}, rs)
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above 0.
func acceptsGzip(values []string) bool {
	ok := false
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" {
				continue
			}
			zero := false
			if k, val, found := strings.Cut(strings.TrimSpace(params), "="); found && strings.EqualFold(strings.TrimSpace(k), "q") {
				q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				zero = err != nil || q <= 0
			}
			if coding == "gzip" {
				return !zero // an explicit gzip wins over *
			}
			ok = !zero
		}
	}
	return ok
}

// wantsHTML reports whether an error should be a page rather than JSON: a
// browser navigating (Accept names text/html) outside /api/, where the
// contract promises JSON.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics" {
		return false
	}
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(v), "text/html") {
			return true
		}
	}
	return false
}

// writeHTTPError answers an error as the API's JSON or, to a browser, as a
// small page with the same sentence and a way back.
func writeHTTPError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if !wantsHTML(r) {
		writeJSONError(w, status, msg)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Encoding")
	h.Del("Etag")
	w.WriteHeader(status)
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	_, _ = fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>%s · PacketBuddy</title></head>
<body><h1>%s</h1><p>%s</p><p><a href="/dashboard/">Open the dashboard</a> · <a href="/docs">API reference</a></p></body></html>
`, html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}

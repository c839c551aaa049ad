package wsframe

import (
	"bufio"
	"bytes"
	"net/http"
)

// Verdict is what ParseHead makes of the bytes of a first request gathered
// so far.
type Verdict uint8

const (
	HeadMore    Verdict = iota // incomplete: wait for more bytes
	HeadHandoff                // not an upgrade this edge answers itself: net/http's
	HeadUpgrade                // a GET of /ws, its head complete
)

// ParseHead decides, as early as the bytes allow, whether buf (the start
// of a connection's first request) is a GET of /ws the transport answers:
// a request line that cannot be one, or a head longer than MaxHead, goes
// to net/http at once. For HeadUpgrade it returns the request and the
// head's length (the bytes after it are the client's first frames). The
// verdict does not depend on how the bytes were split (FuzzParseHead).
func ParseHead(buf []byte) (Verdict, *http.Request, int) {
	line := bytes.IndexByte(buf, '\n')
	switch {
	case line >= 0 && !UpgradeLine(buf[:line]),
		line < 0 && len(buf) >= SniffLen && !UpgradeLine(buf):
		return HeadHandoff, nil, 0
	}
	n := headerEnd(buf)
	switch {
	case n > MaxHead, n == 0 && len(buf) > MaxHead:
		return HeadHandoff, nil, 0
	case n == 0:
		return HeadMore, nil, 0
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(buf[:n])))
	if err != nil || req.Method != http.MethodGet || req.URL.Path != "/ws" {
		return HeadHandoff, nil, 0
	}
	return HeadUpgrade, req, n
}

// SniffLen is how many of a connection's first bytes tell UpgradeLine's
// answer.
const SniffLen = len("GET /ws?")

// UpgradeLine reports whether a request line (or its first bytes, at
// least SniffLen) may be a GET of /ws: "GET /ws " or "GET /ws?".
func UpgradeLine(line []byte) bool {
	return bytes.HasPrefix(line, []byte("GET /ws ")) || bytes.HasPrefix(line, []byte("GET /ws?"))
}

// headerEnd is the length of an HTTP request head in b (through the blank
// line), or 0 while incomplete.
func headerEnd(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		return i + 4
	}
	return 0
}

// SameOrigin is the default origin policy: a request without an Origin
// (not a browser) may connect, and one whose Origin host equals its Host.
func SameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := http.NewRequest(http.MethodGet, o, nil)
	return err == nil && u.URL.Host == r.Host
}

// Refusal is the HTTP status and reason an upgrade request is refused
// with — a foreign origin (allowed false), then shutdown (closing) — or 0
// when it may proceed.
func Refusal(allowed, closing bool) (int, string) {
	switch {
	case !allowed:
		return http.StatusForbidden, "origin not allowed"
	case closing:
		return http.StatusServiceUnavailable, "edge shutting down"
	}
	return 0, ""
}

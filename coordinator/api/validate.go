package api

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Request bodies must be valid UTF-8 (RFC 8259); readJSON refuses any that
// is not, which covers every string field at once. encoding/json turns an
// escaped lone surrogate ("\ud800") into U+FFFD without an error, so the
// text fields an operator or an edge names things with are checked again.

// validText reports whether s is 1 to max bytes of valid UTF-8 with no
// control characters and no U+FFFD (what a decoder leaves of bad input).
func validText(s string, max int) bool {
	if s == "" || len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// MaxEdgeIDLen bounds an edge id.
const MaxEdgeIDLen = 64

// ValidEdgeID reports whether id is a usable edge id: 1 to MaxEdgeIDLen
// letters, digits, '.', '_' or '-', starting with a letter or digit (ids
// appear in claim keys, credential files and metrics labels).
func ValidEdgeID(id string) bool {
	if id == "" || len(id) > MaxEdgeIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

var errEdgeID = fmt.Errorf("an edge id is 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", MaxEdgeIDLen)

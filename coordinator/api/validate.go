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

var errEdgeID = fmt.Errorf("an edge id is 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit", MaxEdgeIDLen)

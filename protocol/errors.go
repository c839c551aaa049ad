package protocol

import (
	"errors"
	"fmt"
)

// Code is an error and close code from SPEC.md §4. The WebSocket close code is
// 4000+Code; the WebTransport session error code is Code itself.
type Code uint16

// Error and close codes.
const (
	CodeNormal             Code = 0
	CodeBadMessage         Code = 1
	CodeUnsupportedVersion Code = 2
	CodeUnauthorized       Code = 3
	CodeTokenExpired       Code = 4
	CodeWrongHunt          Code = 5
	CodeRateLimited        Code = 6
	CodeImpossibleSpeed    Code = 7
	CodeTooSlow            Code = 8
	CodeHelloRequired      Code = 9
	CodeHuntNotActive      Code = 10
	CodeShuttingDown       Code = 11
	CodeMessageTooLarge    Code = 12
	CodeInternal           Code = 13
	CodeRedirect           Code = 14
	CodeInvalidPosition    Code = 15
	CodeIdle               Code = 16
	CodeReplaced           Code = 17
)

var codeInfo = [...]struct {
	name  string
	fatal bool
}{
	CodeNormal:             {"normal", true},
	CodeBadMessage:         {"bad_message", true},
	CodeUnsupportedVersion: {"unsupported_version", true},
	CodeUnauthorized:       {"unauthorized", true},
	CodeTokenExpired:       {"token_expired", true},
	CodeWrongHunt:          {"wrong_hunt", true},
	CodeRateLimited:        {"rate_limited", false},
	CodeImpossibleSpeed:    {"impossible_speed", false},
	CodeTooSlow:            {"too_slow", true},
	CodeHelloRequired:      {"hello_required", true},
	CodeHuntNotActive:      {"hunt_not_active", false},
	CodeShuttingDown:       {"shutting_down", true},
	CodeMessageTooLarge:    {"message_too_large", true},
	CodeInternal:           {"internal", true},
	CodeRedirect:           {"redirect", true},
	CodeInvalidPosition:    {"invalid_position", false},
	CodeIdle:               {"idle", true},
	CodeReplaced:           {"replaced", true},
}

// String returns the spec name of c ("bad_message").
func (c Code) String() string {
	if int(c) < len(codeInfo) {
		return codeInfo[c].name
	}
	return fmt.Sprintf("code(%d)", uint16(c))
}

// Fatal reports whether an ERROR with this code is followed by closing the
// connection. Unknown codes are fatal.
func (c Code) Fatal() bool {
	return int(c) >= len(codeInfo) || codeInfo[c].fatal
}

// WebSocketCloseCode is the WebSocket close status that carries c.
func (c Code) WebSocketCloseCode() uint16 { return 4000 + uint16(c) }

// Error is a protocol error: what went wrong and the code to close with.
type Error struct {
	Code Code
	Kind string // "truncated", "too_large" or "malformed" for decoding errors
	Msg  string
}

func (e *Error) Error() string { return "protocol: " + e.Msg }

// Decoding errors. They are *Error values, so callers can both test them with
// errors.Is and read the close code with CodeOf. Returning them never allocates.
var (
	// ErrTruncated: a header or body is cut short, a body is shorter than its
	// fixed fields, or a count overruns the body.
	ErrTruncated = &Error{Code: CodeBadMessage, Kind: "truncated", Msg: "truncated message"}
	// ErrTooLarge: a message, field or count exceeds its limit (SPEC.md §3).
	ErrTooLarge = &Error{Code: CodeMessageTooLarge, Kind: "too_large", Msg: "message too large"}
	// ErrMalformed: a message that is structurally invalid (type 0x00).
	ErrMalformed = &Error{Code: CodeBadMessage, Kind: "malformed", Msg: "malformed message"}
	// ErrUnknownType: DecodeMessage was given a type this version does not know.
	// Split never returns it: frames skip unknown types.
	ErrUnknownType = &Error{Code: CodeBadMessage, Kind: "malformed", Msg: "unknown message type"}
)

// CodeOf returns the close code carried by err: the Code of a *Error in its
// chain, CodeNormal for nil, and CodeInternal otherwise.
func CodeOf(err error) Code {
	if err == nil {
		return CodeNormal
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return CodeInternal
}

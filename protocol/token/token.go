// Package token mints and verifies player access tokens: JWTs signed with
// Ed25519 (EdDSA). The coordinator mints them with its private key; an edge
// verifies them with the public key alone, so admitting a player costs no
// round trip to the coordinator.
//
// A token names the player (sub, a decimal player id) and the hunt it grants
// (hunt), and must carry an expiry (exp).
package token

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/veltrix/veltrix/protocol"
)

// Claims are what a token asserts.
type Claims struct {
	Player uint32 `json:"-"` // carried as the subject
	Hunt   uint32 `json:"hunt"`
	Name   string `json:"name,omitempty"` // display name
	jwt.RegisteredClaims
}

// Errors carry the protocol close code an edge answers with.
var (
	ErrInvalid   = &protocol.Error{Code: protocol.CodeUnauthorized, Kind: "token", Msg: "invalid token"}
	ErrExpired   = &protocol.Error{Code: protocol.CodeTokenExpired, Kind: "token", Msg: "token expired"}
	ErrWrongHunt = &protocol.Error{Code: protocol.CodeWrongHunt, Kind: "token", Msg: "token does not grant this hunt"}
)

// Mint signs a token for player in hunt, valid from now for ttl.
func Mint(key ed25519.PrivateKey, player, hunt uint32, name string, now time.Time, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", errors.New("token lifetime must be positive")
	}
	c := Claims{Hunt: hunt, Name: name, RegisteredClaims: jwt.RegisteredClaims{
		Subject:   strconv.FormatUint(uint64(player), 10),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), // tolerate clock skew
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodEdDSA, &c).SignedString(key)
}

// Verify checks tok's signature against pub and its validity at now, and
// that it grants hunt. Failures wrap ErrInvalid, ErrExpired or ErrWrongHunt.
func Verify(pub ed25519.PublicKey, tok string, hunt uint32, now time.Time) (*Claims, error) {
	var c Claims
	_, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }))
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, fmt.Errorf("%w: %v", ErrExpired, err)
	case err != nil:
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	p, err := strconv.ParseUint(c.Subject, 10, 32)
	if err != nil || p == 0 {
		return nil, fmt.Errorf("%w: subject %q is not a player id", ErrInvalid, c.Subject)
	}
	c.Player = uint32(p)
	if c.Hunt != hunt {
		return nil, fmt.Errorf("%w: token is for hunt %d, not %d", ErrWrongHunt, c.Hunt, hunt)
	}
	return &c, nil
}

// Lifetime reads when tok was issued and when it expires, without
// verifying it: a client uses it to refresh its token in time (SPEC.md
// §2.3). A token without iat counts as issued at its nbf, or at its exp.
func Lifetime(tok string) (issued, expires time.Time, err error) {
	var c Claims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.ExpiresAt == nil {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: no expiry", ErrInvalid)
	}
	expires = c.ExpiresAt.Time
	switch {
	case c.IssuedAt != nil:
		issued = c.IssuedAt.Time
	case c.NotBefore != nil:
		issued = c.NotBefore.Time
	default:
		issued = expires
	}
	return issued, expires, nil
}

// RefreshAt is when a client holding a token issued at issued and expiring
// at expires should ask for a new one: once two thirds of its lifetime
// have passed, and at the latest a minute before it expires (SPEC.md §2.3).
func RefreshAt(issued, expires time.Time) time.Time {
	return minTime(issued.Add(expires.Sub(issued)*2/3), expires.Add(-time.Minute))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

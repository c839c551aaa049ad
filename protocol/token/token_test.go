package token

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/veltrix/veltrix/protocol"
)

func TestMintVerify(t *testing.T) {
	pub, priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1795000000, 0)
	tok, err := Mint(priv, 42, 7, "ada", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Verify(pub, tok, 7, now.Add(30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if c.Player != 42 || c.Hunt != 7 || c.Name != "ada" {
		t.Errorf("claims = %+v", c)
	}

	otherPub, _, _ := GenerateKey()
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "1", "hunt": 7, "exp": now.Add(time.Hour).Unix()}).SignedString([]byte("k"))
	noSub, _ := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"hunt": 7, "exp": now.Add(time.Hour).Unix()}).SignedString(priv)
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"sub": "1", "hunt": 7}).SignedString(priv)
	cases := []struct {
		name string
		pub  ed25519.PublicKey
		tok  string
		hunt uint32
		at   time.Time
		want error
		code protocol.Code
	}{
		{"expired", pub, tok, 7, now.Add(2 * time.Hour), ErrExpired, protocol.CodeTokenExpired},
		{"other key", otherPub, tok, 7, now, ErrInvalid, protocol.CodeUnauthorized},
		{"wrong hunt", pub, tok, 8, now, ErrWrongHunt, protocol.CodeWrongHunt},
		{"garbage", pub, "not.a.jwt", 7, now, ErrInvalid, protocol.CodeUnauthorized},
		{"tampered", pub, tamperSignature(t, tok), 7, now, ErrInvalid, protocol.CodeUnauthorized},
		{"HMAC algorithm", pub, hs, 7, now, ErrInvalid, protocol.CodeUnauthorized},
		{"no subject", pub, noSub, 7, now, ErrInvalid, protocol.CodeUnauthorized},
		{"no expiry", pub, noExp, 7, now, ErrInvalid, protocol.CodeUnauthorized},
		{"empty", pub, "", 7, now, ErrInvalid, protocol.CodeUnauthorized},
	}
	for _, c := range cases {
		_, err := Verify(c.pub, c.tok, c.hunt, c.at)
		if !errors.Is(err, c.want) || protocol.CodeOf(err) != c.code {
			t.Errorf("%s: err = %v (code %v), want %v", c.name, err, protocol.CodeOf(err), c.want)
		}
	}
}

// tamperSignature flips one bit of tok's decoded signature. (Rewriting the
// last base64url characters is not a reliable tamper: the last character
// carries padding bits, so a rewrite decodes to the same signature one time
// in 256.)
func tamperSignature(t *testing.T, tok string) string {
	t.Helper()
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil || len(sig) != ed25519.SignatureSize {
		t.Fatalf("signature of %q: %d bytes, %v", tok, len(sig), err)
	}
	sig[len(sig)/2] ^= 1
	return tok[:dot+1] + base64.RawURLEncoding.EncodeToString(sig)
}

func TestKeysRoundTrip(t *testing.T) {
	pub, priv, _ := GenerateKey()
	pb, err := EncodePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := EncodePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub2, err := ParsePublicKey(pb)
	if err != nil || !pub.Equal(pub2) {
		t.Fatalf("public key round trip: %v", err)
	}
	priv2, err := ParsePrivateKey(kb)
	if err != nil || !priv.Equal(priv2) {
		t.Fatalf("private key round trip: %v", err)
	}
	if _, err := ParsePublicKey([]byte("nope")); err == nil || !strings.Contains(err.Error(), "PEM") {
		t.Errorf("bad PEM: err = %v", err)
	}
	if _, err := ParsePrivateKey(pb); err == nil {
		t.Error("a public key parsed as a private key")
	}
}

func FuzzVerify(f *testing.F) {
	pub, priv, _ := GenerateKey()
	tok, _ := Mint(priv, 1, 1, "", time.Unix(1795000000, 0), time.Hour)
	f.Add(tok)
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Verify(pub, s, 1, time.Unix(1795000000, 0))
		if err == nil && (c == nil || c.Player == 0) {
			t.Fatal("accepted a token without a player")
		}
		if err != nil && protocol.CodeOf(err) == protocol.CodeInternal {
			t.Fatalf("untyped error %v", err)
		}
	})
}

package token

import (
	"errors"
	"testing"
	"time"
)

func TestLifetimeAndRefreshAt(t *testing.T) {
	_, priv, _ := GenerateKey()
	now := time.Unix(1795000000, 0)
	tok, _ := Mint(priv, 42, 7, "", now, time.Hour)
	issued, expires, err := Lifetime(tok)
	if err != nil || !issued.Equal(now) || !expires.Equal(now.Add(time.Hour)) {
		t.Fatalf("Lifetime = %v, %v, %v", issued, expires, err)
	}
	if got := RefreshAt(issued, expires); !got.Equal(now.Add(40 * time.Minute)) {
		t.Errorf("an hour's token: refresh at %v, want after 40 min", got.Sub(now))
	}
	short, _ := Mint(priv, 42, 7, "", now, 90*time.Second)
	issued, expires, _ = Lifetime(short)
	if got := RefreshAt(issued, expires); !got.Equal(now.Add(30 * time.Second)) {
		t.Errorf("a 90 s token: refresh at %v, want 30 s (a minute before expiry)", got.Sub(now))
	}
	if _, _, err := Lifetime("x.y.z"); !errors.Is(err, ErrInvalid) {
		t.Errorf("garbage: %v, want ErrInvalid", err)
	}
}

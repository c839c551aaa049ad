package region

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/internal/testkit"
)

func TestParseSibling(t *testing.T) {
	good := `{"origin":7,"region":"eu","ws":"ws://10.0.0.2:8090/ws","wt":"https://10.0.0.2:8443/wt"}`
	s, err := ParseSibling([]byte(good))
	if err != nil || s != (Sibling{Origin: 7, Region: "eu", WS: "ws://10.0.0.2:8090/ws", WT: "https://10.0.0.2:8443/wt"}) {
		t.Fatalf("ParseSibling(%s) = %+v, %v", good, s, err)
	}
	for _, bad := range []string{
		``, `[]`, `{"origin":0,"ws":"ws://a/ws"}`, `{"origin":1}`, `{"origin":1,"ws":"http://a/ws"}`,
		`{"origin":1,"ws":"ws:///ws"}`, `{"origin":1,"ws":"ws://u@a/ws"}`, `{"origin":1,"ws":"ws://a/ws","wt":"ws://a/wt"}`,
		`{"origin":1,"ws":"ws://a/` + strings.Repeat("x", maxURLLen) + `"}`, `{"origin":1,"ws":"ws://a/ws","pad":"` + strings.Repeat("x", maxAnnouncement) + `"}`,
	} {
		if _, err := ParseSibling([]byte(bad)); err == nil {
			t.Errorf("ParseSibling(%.60s) accepted", bad)
		}
	}
}

func FuzzParseSibling(f *testing.F) {
	f.Add([]byte(`{"origin":7,"region":"eu","ws":"ws://10.0.0.2:8090/ws","wt":"https://10.0.0.2:8443/wt"}`))
	f.Add([]byte(`{"origin":1,"ws":"wss://a"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSibling(b)
		if err != nil {
			return
		}
		if s2, err := ParseSibling(announcement(s)); err != nil || s2 != s {
			t.Fatalf("%+v announced reads back as %+v, %v", s, s2, err)
		}
	})
}

// TestSiblingsExpire: the list holds the region's other edges heard from
// within the TTL, by origin, with their latest URLs; another region's edges, this
// edge's own echo and bad announcements are left out, and the list is
// bounded.
func TestSiblingsExpire(t *testing.T) {
	ss := siblingSet{self: Sibling{Origin: 1, Region: "eu"}, ttl: 3 * time.Second}
	t0 := time.Unix(1000, 0)
	heard := func(s Sibling, at time.Time) error { return ss.heard(announcement(s), at) }
	for _, s := range []Sibling{{Origin: 3, Region: "eu", WS: "ws://c/ws"}, {Origin: 2, Region: "eu", WS: "ws://b/ws"},
		{Origin: 4, Region: "us", WS: "ws://d/ws"}, {Origin: 1, Region: "eu", WS: "ws://self/ws"}} {
		if err := heard(s, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := ss.heard([]byte(`{"origin":5}`), t0); err == nil {
		t.Error("an announcement without a URL was taken")
	}
	if got := ss.live(t0); !slices.Equal(origins(got), []uint32{2, 3}) || got[0].WS != "ws://b/ws" {
		t.Fatalf("live = %+v, want eu's edges 2 and 3", got)
	}
	if err := heard(Sibling{Origin: 3, Region: "eu", WS: "ws://c2/ws"}, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := ss.live(t0.Add(3*time.Second + 1)); !slices.Equal(origins(got), []uint32{3}) || got[0].WS != "ws://c2/ws" {
		t.Fatalf("3 s after edge 2's last announcement: live = %+v, want edge 3's new URL only", got)
	}
	for o := uint32(10); o < 10+maxSiblings; o++ {
		_ = heard(Sibling{Origin: o, Region: "eu", WS: "ws://x/ws"}, t0.Add(4*time.Second))
	}
	if err := heard(Sibling{Origin: 9, Region: "eu", WS: "ws://x/ws"}, t0.Add(4*time.Second)); err == nil || len(ss.m) != maxSiblings {
		t.Fatalf("sibling %d taken (%v): %d remembered, at most %d", maxSiblings+1, err, len(ss.m), maxSiblings)
	}
}

func origins(ss []Sibling) []uint32 {
	var out []uint32
	for _, s := range ss {
		out = append(out, s.Origin)
	}
	return out
}

// TestSiblingsAnnounced: two edges routed to each other list each other
// by their announced URLs; once one closes, the other drops it after the
// TTL (longer than the heartbeat: a live edge stays listed).
func TestSiblingsAnnounced(t *testing.T) {
	a := start(t, Config{ClusterListen: "127.0.0.1:0", Self: Sibling{Region: "eu", WS: "ws://a/ws"}, TTL: 3 * Heartbeat / 2})
	b := start(t, Config{ClusterListen: "127.0.0.1:0", Routes: []string{a.ClusterAddr()}, Self: Sibling{Region: "eu", WS: "ws://b/ws", WT: "https://b/wt"}})
	a.Attach(newCore(t, a))
	b.Attach(newCore(t, b))
	testkit.Until(t, "each edge to list the other", func() bool {
		as, bs := a.Siblings(), b.Siblings()
		return len(as) == 1 && as[0] == Sibling{Origin: b.Origin(), Region: "eu", WS: "ws://b/ws", WT: "https://b/wt"} &&
			len(bs) == 1 && bs[0].WS == "ws://a/ws"
	})
	b.Close()
	testkit.Until(t, "a to drop the closed edge", func() bool { return len(a.Siblings()) == 0 })
}

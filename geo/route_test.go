package geo

import (
	"errors"
	"strings"
	"testing"
)

// Amsterdam's resolution-2 cell is eu's, Paris's resolution-3 cell is fr's
// (finer, so it wins inside eu's coarser cells), New York's is us's.
const routeTable = "eu ws=wss://eu.example.com/ws wt=https://eu.example.com/wt cells=82196ffffffffff,821fb7fffffffff;" +
	" fr ws=ws://fr.example.com:8090/ws cells=831fb4fffffffff ; us ws=wss://us.example.com/ws cells=822a17fffffffff;"

func TestRouteLooksUpTheTable(t *testing.T) {
	tab, err := ParseTable(routeTable)
	if err != nil {
		t.Fatal(err)
	}
	amsterdam, paris, ny, tokyo := Point{52.37, 4.89}, Point{48.85, 2.35}, Point{40.71, -74.0}, Point{35.68, 139.69}
	bad := Point{91, 0}
	for _, c := range []struct {
		home     string
		p        *Point
		fallback string
		want     string
		known    bool
	}{
		{"us", &amsterdam, "eu", "us", true}, // the hunt's home wins over the position
		{"", &amsterdam, "us", "eu", true},
		{"", &paris, "us", "fr", true}, // the finer cell wins
		{"", &ny, "eu", "us", true},
		{"", &tokyo, "eu", "eu", true}, // no cell: the fallback
		{"", &bad, "us", "us", true},
		{"", nil, "fr", "fr", true},
		{"ap", &amsterdam, "eu", "ap", false}, // a home the table does not hold
		{"", nil, "", "", false},
	} {
		name, r, ok := tab.Route(c.home, c.p, c.fallback)
		if name != c.want || ok != c.known || (ok && r.Name != name) {
			t.Errorf("Route(%q, %v, %q) = %q, %+v, %v; want %q, %v", c.home, c.p, c.fallback, name, r, ok, c.want, c.known)
		}
	}
	eu, _ := tab.Region("eu")
	if eu.WS != "wss://eu.example.com/ws" || eu.WT != "https://eu.example.com/wt" || len(eu.Cells) != 2 {
		t.Errorf("eu: %+v", eu)
	}
	if fr, _ := tab.Region("fr"); fr.WT != "" {
		t.Errorf("fr has no WebTransport URL, got %q", fr.WT)
	}
	if len(tab.Regions()) != 3 || tab.Regions()[2].Name != "us" {
		t.Errorf("regions out of order: %+v", tab.Regions())
	}
	again, err := ParseTable(tab.String())
	if err != nil || again.String() != tab.String() {
		t.Fatalf("String does not read back: %q → %v", tab.String(), err)
	}
}

func TestParseTableRefusesWithReasons(t *testing.T) {
	for _, c := range []struct{ in, why string }{
		{"eu", "ws:"},
		{"eu ws=http://x/ws", "ws:"},
		{"eu ws=wss://", "ws:"},
		{"eu ws=wss://u:p@x/ws", "ws:"},
		{"eu ws=wss://x/ws wt=wss://x/wt", "wt:"},
		{"eu ws=wss://x/ws ws=wss://y/ws", "new key=value"},
		{"eu ws=wss://x/ws color=red", "unknown key"},
		{"eu ws=wss://x/ws cells", "key=value"},
		{"eu ws=wss://x/ws cells=zz", "hexadecimal"},
		{"eu ws=wss://x/ws cells=8928308280fffff", "resolution 0..5"}, // resolution 9
		{"eu ws=wss://x/ws cells=1234", "resolution 0..5"},
		{"e u ws=wss://x/ws", "key=value"},
		{"-eu ws=wss://x/ws", "region name"},
		{"eu ws=wss://x/ws; eu ws=wss://y/ws", "named twice"},
		{"eu ws=wss://x/ws cells=82196ffffffffff; us ws=wss://y/ws cells=82196ffffffffff", "in regions"},
	} {
		_, err := ParseTable(c.in)
		if !errors.Is(err, ErrInvalidTable) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("ParseTable(%q) = %v, want an error about %q", c.in, err, c.why)
		}
	}
	if tab, err := ParseTable(" ; ;"); err != nil || len(tab.Regions()) != 0 {
		t.Errorf("an empty table: %v", err)
	}
	if _, err := ParseTable(strings.Repeat("a ws=ws://x/ws;", MaxRegions+1)); !errors.Is(err, ErrInvalidTable) {
		t.Errorf("too many regions: %v", err)
	}
}

// Run: go test ./geo/ -run=^$ -fuzz=FuzzParseTable -fuzztime=30s
func FuzzParseTable(f *testing.F) {
	f.Add(routeTable)
	f.Add("eu ws=ws://x/ws; eu ws=ws://y/ws")
	f.Add("eu ws=ws://x/ws cells=0,ffffffffffffffff,")
	f.Add("; ;\x00 ws==")
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := ParseTable(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidTable) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := ParseTable(tab.String())
		if err != nil || again.String() != tab.String() {
			t.Fatalf("%q parsed to %q, which reads back as %v", s, tab.String(), err)
		}
		for _, r := range tab.Regions() {
			if got, _, ok := tab.Route(r.Name, nil, ""); !ok || got != r.Name {
				t.Fatalf("region %q does not route to itself", r.Name)
			}
		}
	})
}

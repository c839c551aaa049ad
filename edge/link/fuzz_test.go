package link

import (
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/edge/core"
	"github.com/veltrix/veltrix/protocol"
	"github.com/veltrix/veltrix/protocol/token"
)

type nopNotifier struct{}

func (nopNotifier) Ready(core.SessionID, uint64)                 {}
func (nopNotifier) Hangup(core.SessionID, uint64, protocol.Code) {}

// FuzzStream feeds arbitrary NDJSON to a replica attached to a core with a
// player in the hunt: applying it must never panic, whatever the
// coordinator (or a broken proxy) sends, and the replica must stay usable.
func FuzzStream(f *testing.F) {
	f.Add(exampleStream(f))
	f.Add(ndjson(f, event(wire.Event{Index: 2, Kind: wire.EventTreasurePlaced, Hunt: 1, Treasure: 9, Lat: 900000000, Lng: -1800000000})))
	f.Add(ndjson(f, wire.StreamMessage{Type: "snapshot", Hunts: []wire.HuntDetail{hunt(1, wire.Active)}},
		event(wire.Event{Index: 1, Kind: wire.EventTreasurePlaced, Hunt: 1, Treasure: 9, Lat: 523730796, Lng: 48924534}),
		event(wire.Event{Index: 2, Kind: wire.EventTreasureClaimed, Hunt: 1, Treasure: 9}),
		event(wire.Event{Index: 3, Kind: wire.EventHuntDeleted, Hunt: 1})))
	f.Add(`{"type":"snapshot","hunts":[{"id":1,"spec":{"resolution":99},"treasures":[{"id":1,"cell":1,"lat":-2147483648}]}]}` + "\n" +
		`{"type":"event","event":{"kind":2,"hunt":1,"treasure":2,"lat":2147483647}}` + "\n")
	f.Add(`{"type":"event"}` + "\n")
	f.Add("{\n\n")
	pub, priv, _ := token.GenerateKey()
	f.Fuzz(func(t *testing.T, stream string) {
		r := newReplica("")
		c, err := core.New(core.Config{PublicKey: pub, Hunts: r, Treasures: r})
		if err != nil {
			t.Fatal(err)
		}
		r.attach(c)
		owner := c.Register(nopNotifier{})
		// A player in hunt 1 near Dam Square sees what the stream does to it.
		if err := r.follow(strings.NewReader(exampleStream(t)), func() {}); err != nil {
			t.Fatal(err)
		}
		id := c.Open(owner, 0)
		tok, _ := token.Mint(priv, 5, 1, "", time.Now(), time.Hour)
		_ = c.Deliver(id, protocol.AppendHello(nil, &protocol.Hello{Version: 1, Hunt: 1, Token: protocol.Text(tok)}))
		_ = c.Deliver(id, protocol.AppendPosition(nil, &protocol.Position{Seq: 1, Lat: 523730796, Lng: 48924534}))

		_ = r.follow(strings.NewReader(stream), func() {})

		for _, h := range r.HuntIDs() {
			if _, ok := r.Hunt(h); !ok {
				t.Fatalf("hunt %d listed but not found", h)
			}
			r.Status(h, 0)
			treasures(r, h)
			r.Hint(h, 523730796, 48924534)
		}
		c.Tick()
		c.Pull(id, nil)
		c.Closed(id)
	})
}

package region

import (
	"encoding/binary"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/veltrix/veltrix/protocol"
)

// The core calls Publish and Watch with its lock held: both only copy into
// a bounded buffer under a mutex of their own and wake the sender, which
// talks to NATS. A full outbox drops (counted), so a stalled NATS
// connection never holds up a tick.

// outFrame is one publication waiting in the outbox: buf[off:off+n].
type outFrame struct {
	key    cellKey
	off, n uint32
}

// batch is publications back to back.
type batch struct {
	buf    []byte
	frames []outFrame
}

type outbox struct {
	mu   sync.Mutex // guards the fields below
	b    batch
	max  int
	full uint64 // publications dropped for want of room
}

// watchSet holds the interest changes the sender has yet to apply, latest
// wins per cell.
type watchSet struct {
	mu   sync.Mutex
	want map[cellKey]bool
}

// Stats counts what the region connection did.
type Stats struct {
	Published, PublishedBytes uint64 // publications handed to NATS
	Received, ReceivedBytes   uint64 // cell frames received and handed to the core
	Drops                     map[string]uint64
	Subscriptions             int    // cells subscribed to
	Routes                    int    // the embedded server's routes to other edges
	RouteInBytes              uint64 // bytes the embedded server received over routes
	RouteOutBytes             uint64 // bytes it sent over routes
}

// Drop reasons of Stats.Drops (the reason label of
// veltrix_edge_region_drops_total).
const (
	DropOutboxFull   = "outbox_full"   // a publication, the outbox being full (NATS is behind)
	DropSlowConsumer = "slow_consumer" // a message NATS dropped, the receiver being behind
	DropPublishError = "publish_error" // a publication NATS refused (closed or reconnect buffer full)
)

// Publish implements core.Peers: it copies frames into the outbox and wakes
// the sender.
func (r *Region) Publish(hunt uint32, cell uint64, frames []byte, originSnapshot bool) {
	o := &r.out
	o.mu.Lock()
	if len(o.b.buf)+len(frames) > o.max {
		o.full++
		o.mu.Unlock()
		return
	}
	off := len(o.b.buf)
	o.b.buf = append(o.b.buf, frames...)
	if originSnapshot {
		protocol.AsOriginSnapshot(o.b.buf[off:])
	}
	o.b.frames = append(o.b.frames, outFrame{key: cellKey{hunt, cell}, off: uint32(off), n: uint32(len(frames))})
	o.mu.Unlock()
	r.wake()
}

// Watch implements core.Peers: it records the interest change for the
// sender.
func (r *Region) Watch(hunt uint32, cell uint64, on bool) {
	w := &r.watch
	w.mu.Lock()
	if w.want == nil {
		w.want = map[cellKey]bool{}
	}
	w.want[cellKey{hunt, cell}] = on
	w.mu.Unlock()
	r.wake()
}

func (r *Region) wake() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// send is the one goroutine that talks to NATS: it applies interest
// changes, publishes the outbox and sends the heartbeat.
func (r *Region) send() {
	defer r.wg.Done()
	beat := time.NewTicker(Heartbeat)
	defer beat.Stop()
	var origin [4]byte
	binary.LittleEndian.PutUint32(origin[:], r.cfg.Origin)
	var self []byte
	if r.cfg.Self.WS != "" {
		self = announcement(r.cfg.Self)
	}
	subjects := map[cellKey]string{}
	var spare batch
	r.heartbeat(origin[:], self)
	for {
		select {
		case <-r.done:
			return
		case <-beat.C:
			r.heartbeat(origin[:], self)
		case <-r.kick:
		}
		r.applyWatches(subjects)
		spare = r.publishAll(spare, subjects)
	}
}

// heartbeat says this edge is alive and, when it knows its URLs,
// announces them (self).
func (r *Region) heartbeat(origin, self []byte) {
	if err := r.nc.Publish(aliveSubject, origin); err != nil {
		r.count(DropPublishError)
	}
	if self == nil {
		return
	}
	if err := r.nc.Publish(edgesSubject, self); err != nil {
		r.count(DropPublishError)
	}
}

// publishAll swaps the outbox for spare and publishes what it held; it
// returns the emptied buffers for the next swap.
func (r *Region) publishAll(spare batch, subjects map[cellKey]string) batch {
	o := &r.out
	o.mu.Lock()
	spare, o.b = o.b, batch{buf: spare.buf[:0], frames: spare.frames[:0]}
	full := o.full
	o.full = 0
	o.mu.Unlock()
	var n, bytes uint64
	for _, f := range spare.frames {
		subj, ok := subjects[f.key]
		if !ok {
			if len(subjects) > 1<<16 {
				clear(subjects)
			}
			subj = subject(f.key.hunt, f.key.cell)
			subjects[f.key] = subj
		}
		if err := r.nc.Publish(subj, spare.buf[f.off:f.off+f.n]); err != nil {
			r.count(DropPublishError)
			continue
		}
		n++
		bytes += uint64(f.n)
	}
	r.mu.Lock()
	r.st.Published += n
	r.st.PublishedBytes += bytes
	r.countLocked(DropOutboxFull, full)
	r.mu.Unlock()
	return spare
}

// applyWatches subscribes to the cells the core's players began watching
// and unsubscribes from those they ceased to watch.
func (r *Region) applyWatches(subjects map[cellKey]string) {
	w := &r.watch
	w.mu.Lock()
	want := w.want
	w.want = nil
	w.mu.Unlock()
	for k, on := range want {
		r.mu.Lock()
		sub := r.subs[k]
		r.mu.Unlock()
		switch {
		case on && sub == nil:
			s, err := r.nc.ChanSubscribe(subject(k.hunt, k.cell), r.msgs)
			if err != nil {
				r.cfg.Logger.Warn("region: cannot subscribe", "hunt", k.hunt, "cell", k.cell, "err", err)
				continue
			}
			r.mu.Lock()
			r.subs[k] = s
			r.mu.Unlock()
		case !on && sub != nil:
			d, _ := sub.Dropped()
			_ = sub.Unsubscribe()
			r.mu.Lock()
			delete(r.subs, k)
			r.countLocked(DropSlowConsumer, uint64(max(d, 0)))
			r.mu.Unlock()
			delete(subjects, k)
		}
	}
}

func (r *Region) count(reason string) {
	r.mu.Lock()
	r.countLocked(reason, 1)
	r.mu.Unlock()
}

func (r *Region) countLocked(reason string, n uint64) {
	if n == 0 {
		return
	}
	if r.st.Drops == nil {
		r.st.Drops = map[string]uint64{}
	}
	r.st.Drops[reason] += n
}

// Stats returns a copy of the counters, with the drops of the live
// subscriptions (the cells' and the heartbeats') and the embedded server's
// route traffic.
func (r *Region) Stats() Stats {
	r.mu.Lock()
	st := r.st
	st.Drops = map[string]uint64{DropOutboxFull: 0, DropSlowConsumer: 0, DropPublishError: 0}
	for k, v := range r.st.Drops {
		st.Drops[k] = v
	}
	st.Subscriptions = len(r.subs)
	for _, s := range r.subs {
		if d, err := s.Dropped(); err == nil {
			st.Drops[DropSlowConsumer] += uint64(d)
		}
	}
	for _, s := range []*nats.Subscription{r.beat, r.ann} {
		if s == nil {
			continue
		}
		if d, err := s.Dropped(); err == nil {
			st.Drops[DropSlowConsumer] += uint64(d)
		}
	}
	r.mu.Unlock()
	r.out.mu.Lock()
	st.Drops[DropOutboxFull] += r.out.full
	r.out.mu.Unlock()
	if r.srv != nil {
		if rz, err := r.srv.Routez(nil); err == nil {
			st.Routes = rz.NumRoutes
			for _, rt := range rz.Routes {
				st.RouteInBytes += uint64(rt.InBytes)
				st.RouteOutBytes += uint64(rt.OutBytes)
			}
		}
	}
	return st
}

// Connected reports whether the NATS connection is up.
func (r *Region) Connected() bool { return r.nc.Status() == nats.CONNECTED }

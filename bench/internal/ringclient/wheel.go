package ringclient

import "time"

// wheelTick is the width of a timer-wheel bucket: how far apart the
// ring's batches of due sends are, and how late a send may leave.
const wheelTick = 10 * time.Millisecond

// wheel schedules each connection's Conn.Due once per period without a
// timer per connection: the period is cut into buckets of wheelTick, a
// connection sits in one bucket (its phase) for its whole life, and the
// ring fires every bucket whose start the clock has passed, so the sends
// due in an iteration go out as one batch of SQEs.
type wheel struct {
	buckets [][]uint64 // gen<<32 | slot
	pos     int        // the next bucket to fire
	next    int64      // when it starts (ns since the ring started)
}

func newWheel(period time.Duration, now int64) wheel {
	if period <= 0 {
		return wheel{}
	}
	n := max(1, int((period+wheelTick-1)/wheelTick))
	return wheel{buckets: make([][]uint64, n), next: now}
}

// on reports whether the wheel schedules anything (a period was set).
func (w *wheel) on() bool { return len(w.buckets) > 0 }

// add puts slot (generation gen) in bucket phase % buckets.
func (w *wheel) add(slot, gen uint32, phase uint64) {
	b := &w.buckets[phase%uint64(len(w.buckets))]
	*b = append(*b, uint64(gen)<<32|uint64(slot))
}

// due returns the bucket to fire at now, or nil when none is due; the
// caller keeps what stays (keep) and hands it back. A ring more than a
// period behind fires each bucket once, not several times.
func (w *wheel) due(now int64) *[]uint64 {
	if !w.on() || now < w.next {
		return nil
	}
	if late := now - w.next; late > int64(len(w.buckets))*int64(wheelTick) {
		w.next = now - int64(len(w.buckets)-1)*int64(wheelTick)
	}
	b := &w.buckets[w.pos]
	w.pos = (w.pos + 1) % len(w.buckets)
	w.next += int64(wheelTick)
	return b
}

// deadline is when the next bucket is due, or until if that is sooner.
func (w *wheel) deadline(until int64) int64 {
	if !w.on() {
		return until
	}
	return min(until, w.next)
}

// fireDue sends what Conn.Due gives on every connection in the wheel's
// buckets now due: SQEs only, submitted with the ring's next enter.
func (r *ring) fireDue() {
	for b := r.wheel.due(r.now); b != nil; b = r.wheel.due(r.now) {
		kept := (*b)[:0]
		for _, e := range *b {
			if r.fire(uint32(e), uint32(e>>32)) {
				kept = append(kept, e)
			}
		}
		*b = kept
	}
}

// fire sends ci's due messages; false: the connection (generation gen)
// is gone and leaves the wheel.
func (r *ring) fire(ci, gen uint32) bool {
	c := &r.conns[ci]
	if c.gen != gen || c.state != stOpen || c.dying {
		return false
	}
	r.msg = c.cb.Due(r.msg[:0])
	if len(r.msg) > 0 {
		c.pending = appendFrame(c.pending, 0x82, r.msg)
		r.flush(ci)
	}
	return true
}

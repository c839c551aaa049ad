package sim

import (
	"context"
	"testing"
	"time"

	"github.com/veltrix/veltrix/bench/internal/hist"
	"github.com/veltrix/veltrix/bench/internal/scenario"
)

// The measured phase counts from zero: what came before it (the ramp) is
// in no counter, no histogram interval and no base.
func TestResetCounts(t *testing.T) {
	w := testWorker(scenario.Defaults("steady"))
	p := &player{w: w}
	w.players = []*player{p}
	p.msgs.Add(7)
	p.entries.Add(3)
	p.posBytes.Add(500)
	w.c.positions.Add(4)
	w.c.disconnects.Add(2)
	w.delivery.Record(0, time.Millisecond)
	w.resetCounts()
	if w.msgBase != 7 || w.entBase != 3 || p.posBase != 500 {
		t.Fatalf("bases %d %d %d, want 7 3 500", w.msgBase, w.entBase, p.posBase)
	}
	if w.c.positions.Load() != 0 || w.errorCount() != 0 {
		t.Fatalf("positions %d, errors %d after reset", w.c.positions.Load(), w.errorCount())
	}
	if n := w.delivery.TakeInterval().Count(); n != 0 {
		t.Fatalf("the ramp's %d deliveries are in the phase's first interval", n)
	}
}

// A phase whose context has ended still reports one interval, of what came
// since the bases, and hands it to interval too.
func TestEverySecondEndedContext(t *testing.T) {
	w := testWorker(scenario.Defaults("steady"))
	p := &player{w: w}
	w.players = []*player{p}
	p.msgs.Add(5)
	w.resetCounts()
	p.msgs.Add(12)
	p.entries.Add(30)
	w.c.sendErrors.Add(1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var reported []Interval
	series := w.everySecond(ctx, time.Now(), func(iv Interval) { reported = append(reported, iv) })
	if len(series) != 1 || len(reported) != 1 {
		t.Fatalf("%d intervals, %d reported; want 1", len(series), len(reported))
	}
	if iv := series[0]; iv.Messages != 12 || iv.Entries != 30 || iv.Errors != 1 {
		t.Fatalf("interval %+v, want 12 messages, 30 entries, 1 error", iv)
	}
}

// The crowd histograms exist only in the crowd scenario's results: merged,
// they exist once any worker has them, and series of unequal length merge
// second by second.
func TestMergeCrowdHistogramsAndSeries(t *testing.T) {
	st := hist.New()
	st.Record(time.Millisecond)
	plain := Result{Series: []Interval{{T: 1, Messages: 2}}}
	crowd := Result{Staleness: st, Series: []Interval{{T: 1, Messages: 3}, {T: 2, Messages: 4}}}
	m, err := Merge([]Result{plain, crowd, crowd})
	if err != nil {
		t.Fatal(err)
	}
	if m.Staleness == nil || m.Staleness.Count() != 2 || m.PositionBytes != nil {
		t.Fatalf("staleness %v, position bytes %v", m.Staleness, m.PositionBytes)
	}
	if len(m.Series) != 2 || m.Series[0].Messages != 8 || m.Series[1].Messages != 8 || m.Series[1].T != 2 {
		t.Fatalf("series %+v", m.Series)
	}
}

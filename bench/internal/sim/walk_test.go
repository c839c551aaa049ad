package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestStadiumIsUniformInTheDisc: the crowd scenario's players stand
// uniformly within 300 m of the spot (issue 15's stadium) — a quarter of
// them within 150 m, a ninth within 100 m, 1/36 within 50 m — not piled
// at the centre as a half-normal spread piles them.
func TestStadiumIsUniformInTheDisc(t *testing.T) {
	job := Job{Disc: 300, City: [2]float64{48.85, 2.35}}
	const n = 20_000
	var in50, in100, in150 int
	for id := range n {
		w := job.walker(rand.New(rand.NewPCG(1, uint64(id))), &job.City)
		d := w.fromHome(w.lat, w.lng)
		in50 += b2i(d <= 50)
		in100 += b2i(d <= 100)
		in150 += b2i(d <= 150)
	}
	for _, c := range []struct {
		got  int
		want float64
	}{{in50, 1.0 / 36}, {in100, 1.0 / 9}, {in150, 0.25}} {
		// 4.5 standard deviations of a binomial share: deterministic
		// under the fixed seeds, and far from any half-normal (0.38 of
		// σ = 150 m players stand within 75 m, 0.68 within 150 m)
		sd := math.Sqrt(c.want * (1 - c.want) / n)
		if got := float64(c.got) / n; math.Abs(got-c.want) > 4.5*sd {
			t.Errorf("share within the radius %.4f, want %.4f ± %.4f", got, c.want, 4.5*sd)
		}
	}
}

// TestStadiumWalkStaysInTheDisc: shuffling for an hour of steps never
// takes a stadium player beyond the disc.
func TestStadiumWalkStaysInTheDisc(t *testing.T) {
	job := Job{Disc: 300, City: [2]float64{48.85, 2.35}}
	far := 0.0
	for id := range 200 {
		w := job.walker(rand.New(rand.NewPCG(2, uint64(id))), &job.City)
		for range 3600 {
			lat, lng, _ := w.step(1)
			far = max(far, w.fromHome(lat, lng))
		}
	}
	if far > 300 {
		t.Fatalf("a stadium player walked %.1f m from the spot, beyond the 300 m disc", far)
	}
	if far < 290 {
		t.Fatalf("the farthest player stood %.1f m from the spot: the walk does not reach the disc's edge", far)
	}
}

// TestHotspotWalkerUnchanged: the steady and hotspot scenarios' walkers
// (no disc) keep their half-normal spread, so old-against-new runs stay
// comparable.
func TestHotspotWalkerUnchanged(t *testing.T) {
	job := Job{Spread: 150, City: [2]float64{48.85, 2.35}}
	in150 := 0
	for id := range 4000 {
		w := job.walker(rand.New(rand.NewPCG(1, uint64(id))), &job.City)
		in150 += b2i(w.fromHome(w.lat, w.lng) <= 150)
	}
	if got := float64(in150) / 4000; math.Abs(got-0.683) > 0.04 {
		t.Fatalf("share within σ %.3f, want the half-normal's 0.683", got)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

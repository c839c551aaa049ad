package sim

import (
	"errors"

	"github.com/veltrix/veltrix/bench/internal/hist"
)

// Merge combines the results of several workers.
func Merge(rs []Result) (Result, error) {
	if len(rs) == 0 {
		return Result{}, errors.New("no results to merge")
	}
	out := Result{Handshake: hist.New(), Delivery: hist.New(), Claim: hist.New(), Counters: map[string]int64{},
		Errors: map[string]int64{}, Winners: map[uint32][]uint32{}}
	for _, r := range rs {
		out.Players += r.Players
		out.Connected += r.Connected
		out.DialErrors += r.DialErrors
		if out.DialError == "" {
			out.DialError = r.DialError
		}
		out.Elapsed = max(out.Elapsed, r.Elapsed)
		for _, h := range [][2]*hist.H{{out.Handshake, r.Handshake}, {out.Delivery, r.Delivery}, {out.Claim, r.Claim}} {
			if h[1] != nil {
				h[0].Merge(h[1])
			}
		}
		for _, h := range []struct {
			into **hist.H
			from *hist.H
		}{{&out.PositionBytes, r.PositionBytes},
			{&out.Staleness, r.Staleness}, {&out.NearStaleness, r.NearStaleness}, {&out.NearestStaleness, r.NearestStaleness},
			{&out.Near50Staleness, r.Near50Staleness}, {&out.AreaStaleness, r.AreaStaleness}} {
			if h.from != nil {
				if *h.into == nil {
					*h.into = hist.New()
				}
				(*h.into).Merge(h.from)
			}
		}
		for k, v := range r.Counters {
			out.Counters[k] += v
		}
		for k, v := range r.Errors {
			out.Errors[k] += v
		}
		for t, ps := range r.Winners {
			out.Winners[t] = append(out.Winners[t], ps...)
		}
		out.Series = mergeSeries(out.Series, r.Series)
	}
	return out, nil
}

// mergeSeries adds series from, interval by interval, into into.
func mergeSeries(into, from []Interval) []Interval {
	for i, iv := range from {
		if i == len(into) {
			into = append(into, Interval{T: iv.T, Delivery: hist.New(), Claim: hist.New()})
		}
		o := &into[i]
		o.Messages += iv.Messages
		o.Entries += iv.Entries
		o.Positions += iv.Positions
		o.Claims += iv.Claims
		o.Errors += iv.Errors
		if iv.Delivery != nil {
			o.Delivery.Merge(iv.Delivery)
		}
		if iv.Claim != nil {
			o.Claim.Merge(iv.Claim)
		}
	}
	return into
}

// DoubleWins lists the treasures more than one player was told it won.
func (r *Result) DoubleWins() map[uint32][]uint32 {
	out := map[uint32][]uint32{}
	for t, ps := range r.Winners {
		if len(ps) > 1 {
			out[t] = ps
		}
	}
	return out
}

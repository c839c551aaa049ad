package core

import (
	"time"

	"github.com/veltrix/veltrix/protocol"
)

// Tick dilation. When ticks take more than DilateShare of their period for
// DilateAfter ticks in a row, the core slows its tick rate one step —
// TickHz, TickHz/2, TickHz/5 (10 → 5 → 2 Hz by default) — and tells every
// session with a TICK_RATE (reason overload; a control message, never
// cut). Once ticks would take less than half that share of the faster
// rate's period for RecoverAfter ticks in a row, it steps back up (reason
// normal at the configured rate). The transport's tick loop reads TickHz
// after each Tick and resets its ticker. The clock is Config.Now, so tests
// set how long a tick takes.

// dilateSteps divide the configured rate at each dilation level.
var dilateSteps = [...]int{1, 2, 5}

// tickHzAt is the tick rate at dilation level l.
func (c *Core) tickHzAt(l int) int { return max(1, c.cfg.TickHz/dilateSteps[l]) }

// periodAt is the tick period at dilation level l.
func (c *Core) periodAt(l int) time.Duration { return time.Second / time.Duration(c.tickHzAt(l)) }

// TickHz is the rate the transport should call Tick at now.
func (c *Core) TickHz() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tickHzAt(c.dilation)
}

// tickDoneLocked records a tick that took took and adjusts the rate.
func (c *Core) tickDoneLocked(took time.Duration) {
	c.stats.LastTickDuration = took
	c.stats.TickDurations[tickBucket(took)]++
	c.stats.TickTime += took
	share := c.cfg.DilateShare
	switch {
	case c.dilation < len(dilateSteps)-1 && float64(took) > share*float64(c.periodAt(c.dilation)):
		c.fastTicks = 0
		if c.slowTicks++; c.slowTicks >= c.cfg.DilateAfter {
			c.setDilationLocked(c.dilation + 1)
		}
	case c.dilation > 0 && float64(took) < share/2*float64(c.periodAt(c.dilation-1)):
		c.slowTicks = 0
		if c.fastTicks++; c.fastTicks >= c.cfg.RecoverAfter {
			c.setDilationLocked(c.dilation - 1)
		}
	default:
		c.slowTicks, c.fastTicks = 0, 0
	}
	c.stats.TickHz = c.tickHzAt(c.dilation)
}

// setDilationLocked moves to dilation level l and tells every session.
func (c *Core) setDilationLocked(l int) {
	c.dilation, c.slowTicks, c.fastTicks = l, 0, 0
	c.stats.Dilations++
	m := protocol.TickRate{TickHz: uint8(min(c.tickHzAt(l), 255)), Reason: protocol.TickRateOverload}
	if l == 0 {
		m.Reason = protocol.TickRateNormal
	}
	for i := range c.tab.slots {
		if s := &c.tab.slots[i]; s.state == stateActive {
			id := makeID(uint32(i), s.gen)
			c.controlLocked(id, s, protocol.AppendTickRate(c.ctrlBuf(id), &m))
		}
	}
}

// TickBuckets are the upper bounds of Stats.TickDurations' buckets; the
// last bucket counts the longer ticks.
var TickBuckets = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond, time.Millisecond,
	2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond,
	50 * time.Millisecond, 100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
}

func tickBucket(d time.Duration) int {
	for i, b := range TickBuckets {
		if d <= b {
			return i
		}
	}
	return len(TickBuckets)
}

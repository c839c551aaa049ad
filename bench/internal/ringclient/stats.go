package ringclient

// Stats is what an engine's rings did since they started.
type Stats struct {
	Enters, Submissions, Completions uint64 // io_uring_enter calls, SQEs, CQEs
	Overflows, Busy                  uint64 // CQ overflowed, EBUSY (completions waiting in the kernel)
	NoBufs                           uint64 // receives stopped on ENOBUFS (parked, re-armed)
}

// Stats sums the rings' counts (any goroutine).
func (e *Engine) Stats() Stats {
	var st Stats
	for _, r := range e.rings {
		u := &r.ur.Stats
		st.Enters += u.Enters.Load()
		st.Submissions += u.Submissions.Load()
		st.Completions += u.Completions.Load()
		st.Overflows += u.Overflows.Load()
		st.Busy += u.Busy.Load()
		st.NoBufs += r.noBufs.Load()
	}
	return st
}

package core

import "testing"

// Every reason has its own label; a new reason without one fails here.
func TestDropReasonNames(t *testing.T) {
	seen := map[string]DropReason{}
	for r := range NumDropReasons {
		name := r.String()
		if name == "" {
			t.Errorf("reason %d has no label", r)
		}
		if prev, ok := seen[name]; ok {
			t.Errorf("reasons %d and %d share the label %q", prev, r, name)
		}
		seen[name] = r
	}
	if got := NumDropReasons.String(); got != "unknown" {
		t.Errorf("out of range: %q", got)
	}
}

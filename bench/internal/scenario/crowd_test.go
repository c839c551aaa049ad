package scenario

import (
	"slices"
	"testing"
)

// The crowd scenario takes -sizes (its runs, one per player count); other
// scenarios refuse it, and a bad list is an error in words.
func TestCrowdSizes(t *testing.T) {
	c, err := Parse("crowd", []string{"-sizes", "2000, 5000,15000"})
	if err != nil || !slices.Equal(c.Sizes, []int{2000, 5000, 15000}) || c.Hotspots != 1 || c.HotspotShare != 1 {
		t.Fatalf("crowd -sizes: %+v, %v", c, err)
	}
	for _, args := range [][]string{{"-sizes", "2000,x"}, {"-sizes", "0"}} {
		if _, err := Parse("crowd", args); err == nil {
			t.Errorf("crowd %v accepted", args)
		}
	}
	if _, err := Parse("steady", []string{"-sizes", "100"}); err == nil {
		t.Error("steady accepted -sizes")
	}
}

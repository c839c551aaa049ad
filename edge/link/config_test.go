package link

import (
	"strings"
	"testing"
	"time"
)

// Validate names every problem at once, in words; New refuses such a config.
func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil: valid
	}{
		{name: "minimal", cfg: Config{Coordinators: []string{"http://c"}, Token: "t", EdgeID: "e"}},
		{name: "nothing", want: []string{"coordinator URLs", "edge token", "edge id"}},
		{name: "negative claim timeout", cfg: Config{Coordinators: []string{"http://c"}, Token: "t", EdgeID: "e", ClaimTimeout: -time.Second},
			want: []string{"claim timeout -1s is negative"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
			if _, err := New(tc.cfg); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

package core

import (
	"strings"
	"testing"
	"time"

	"github.com/veltrix/veltrix/protocol/token"
)

// Validate names every problem at once, in words; New refuses such a config.
func TestConfigValidate(t *testing.T) {
	pub, _, _ := token.GenerateKey()
	good := func() Config {
		return Config{PublicKey: pub, Hunts: hunts{}}
	}
	tests := []struct {
		name  string
		tweak func(*Config)
		want  []string // substrings of the error; nil: valid
	}{
		{name: "required fields and zero defaults", tweak: func(*Config) {}},
		{name: "everything required missing", tweak: func(c *Config) { *c = Config{} },
			want: []string{"public key", "hunt source"}},
		{name: "negative rates and sizes", tweak: func(c *Config) { c.TickHz, c.ClaimRate, c.MaxControl = -1, -2, -3 },
			want: []string{"tick rate -1", "claim rate -2", "control bytes limit -3"}},
		{name: "negative timeouts", tweak: func(c *Config) { c.IdleTimeout, c.TokenGrace = -time.Second, -time.Second },
			want: []string{"idle timeout", "token grace"}},
		{name: "position budget below a cell's worth", tweak: func(c *Config) { c.PositionBudget = 100 }, want: []string{"position budget 100 B/s is below 1024"}},
		{name: "hysteresis inside the cell", tweak: func(c *Config) { c.Hysteresis = 0.5 }, want: []string{"hysteresis 0.5 is below 1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good()
			tc.tweak(&cfg)
			err := cfg.Validate()
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
			if _, err := New(cfg); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

// The defaults applied are the named constants.
func TestConfigDefaults(t *testing.T) {
	d := (&Config{}).withDefaults()
	if d.TickHz != DefaultTickHz || d.Radius != DefaultRadius || d.ClaimRate != DefaultClaimRate ||
		d.IdleTimeout != DefaultIdleTimeout || d.TokenGrace != DefaultTokenGrace || d.Hysteresis != DefaultHysteresis {
		t.Errorf("defaults: %+v", d)
	}
}

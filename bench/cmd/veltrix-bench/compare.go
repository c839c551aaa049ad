package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/veltrix/veltrix/bench/internal/report"
	"github.com/veltrix/veltrix/bench/internal/run"
	"github.com/veltrix/veltrix/bench/internal/scenario"
)

// target is one side of a comparison: the edge flags it is started with
// and the build it runs.
type target struct {
	label  string // -a-label/-b-label; "" names it by what sets it apart
	args   string // edge flags
	binDir string // "": the shared -bin-dir
}

// comparison is what "veltrix-bench compare" was asked to do.
type comparison struct {
	scenario string
	a, b     target
	rest     []string // the scenario's flags, shared by both targets
}

// parseCompare takes compare's own flags (-scenario, -a, -b, -a-label,
// -b-label, -a-bin-dir, -b-bin-dir; "-flag value" or "-flag=value") from
// args and leaves the rest to the scenario.
func parseCompare(args []string) (comparison, error) {
	c := comparison{scenario: "steady"}
	own := map[string]*string{"scenario": &c.scenario, "a": &c.a.args, "b": &c.b.args, "a-label": &c.a.label,
		"b-label": &c.b.label, "a-bin-dir": &c.a.binDir, "b-bin-dir": &c.b.binDir}
	seen := map[string]bool{}
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		dst, ok := own[name]
		if !ok || !strings.HasPrefix(args[i], "-") {
			c.rest = append(c.rest, args[i])
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return c, fmt.Errorf("-%s needs a value", name)
			}
			i++
			value = args[i]
		}
		if seen[name] {
			return c, fmt.Errorf("-%s given twice", name)
		}
		seen[name], *dst = true, value
	}
	for _, t := range []struct {
		flag string
		dir  string
	}{{"a-bin-dir", c.a.binDir}, {"b-bin-dir", c.b.binDir}} {
		if seen[t.flag] && strings.TrimSpace(t.dir) == "" {
			return c, fmt.Errorf("-%s needs a directory", t.flag)
		}
	}
	if !seen["a"] && !seen["b"] && !seen["a-bin-dir"] && !seen["b-bin-dir"] {
		return c, errors.New("compare needs two targets: edge flags (-a \"-transport=netpoll\" -b \"-transport=uring\") " +
			"and/or builds (-a-bin-dir old/bin -b-bin-dir bin)")
	}
	return c, nil
}

// configs are the two targets' scenario configurations, with what is
// wrong with the combination in words.
func (c comparison) configs() ([2]scenario.Config, error) {
	var out [2]scenario.Config
	for i, t := range []target{c.a, c.b} {
		cfg, err := scenario.Parse(c.scenario, c.rest)
		if err != nil {
			return out, err
		}
		if cfg.Edge != "" {
			return out, errors.New("compare starts both targets itself: drop -edge (and -coordinator, -admin-token)")
		}
		if len(cfg.EdgeArgs) > 0 {
			return out, errors.New("compare gives each target its edge flags with -a and -b: drop -edge-args")
		}
		if t.binDir != "" {
			cfg.BinDir = t.binDir
		}
		cfg.EdgeArgs, cfg.Label = strings.Fields(t.args), t.label
		out[i] = cfg
	}
	a, b := out[0], out[1]
	sameBuild := filepath.Clean(a.BinDir) == filepath.Clean(b.BinDir)
	if sameBuild && strings.Join(a.EdgeArgs, " ") == strings.Join(b.EdgeArgs, " ") {
		return out, fmt.Errorf("the two targets are the same (edge flags %q, bin dir %s): nothing to compare", c.a.args, a.BinDir)
	}
	for i, side := range []string{"a", "b"} {
		if out[i].Label != "" {
			continue
		}
		what := []string{}
		if !sameBuild {
			what = append(what, out[i].BinDir)
		}
		if len(out[i].EdgeArgs) > 0 {
			what = append(what, strings.Join(out[i].EdgeArgs, " "))
		}
		if len(what) == 0 {
			what = append(what, "default flags")
		}
		out[i].Label = side + ": " + strings.Join(what, " ")
	}
	if out[0].Label == out[1].Label {
		return out, fmt.Errorf("both targets are labelled %q: give -a-label and -b-label different names", out[0].Label)
	}
	return out, nil
}

// checkBuild says, before anything runs, when a target's bin dir lacks a
// binary (so that target b's mistake does not wait for target a's run).
func checkBuild(cfg scenario.Config) error {
	for _, name := range []string{"veltrix-edge", "veltrix-coordinator"} {
		if _, err := os.Stat(filepath.Join(cfg.BinDir, name)); err != nil {
			return fmt.Errorf("target %q: cannot find %s in %s (make build, or point -a-bin-dir/-b-bin-dir at a build)", cfg.Label, name, cfg.BinDir)
		}
	}
	return nil
}

func compare(ctx context.Context, args []string) error {
	out, args, err := splitOut(args)
	if err != nil {
		return err
	}
	c, err := parseCompare(args)
	if err != nil {
		return err
	}
	cfgs, err := c.configs()
	if err != nil {
		return err
	}
	for _, cfg := range cfgs {
		if err := checkBuild(cfg); err != nil {
			return err
		}
	}
	o, err := options()
	if err != nil {
		return err
	}
	var runs []*report.Run
	for _, cfg := range cfgs {
		r, err := run.Execute(ctx, cfg, o)
		if err != nil {
			return fmt.Errorf("%s: %w", cfg.Label, err)
		}
		runs = append(runs, r)
	}
	return write(out, "compare-"+c.scenario, runs)
}

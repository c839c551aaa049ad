// Package flagenv mirrors a command's flags in the environment: each flag
// -some-name may also be set by the variable <prefix>SOME_NAME (upper case,
// dashes as underscores). Both binaries use it (veltrix-coordinator with the
// prefix VELTRIX_, veltrix-edge with VELTRIX_EDGE_); it imports only the
// standard library, so the edge links nothing of the coordinator through it.
package flagenv

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// Name is the environment variable that mirrors flag name under prefix.
func Name(prefix, flag string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Apply sets each flag of fs whose variable is set in the environment. Call
// it before fs.Parse, so that flags on the command line win. It reports every
// variable whose value the flag refuses, naming the variable.
func Apply(fs *flag.FlagSet, prefix string) error {
	return apply(fs, prefix, os.LookupEnv)
}

func apply(fs *flag.FlagSet, prefix string, lookup func(string) (string, bool)) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := Name(prefix, f.Name)
		if v, ok := lookup(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %v", name, v, err))
			}
		}
	})
	return errors.Join(errs...)
}

package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// narration matches sentences that tell how things used to be. Git holds
// that history; the documents say what is true now. A benchmark section's
// date (bench/RESULTS.md) says when its figures were measured, and stays.
var narration = regexp.MustCompile(`(?i)\b(before|until|since) \d{4}-\d{2}-\d{2}|\ban earlier run\b|\bbefore (this|the) (change|switch|fix)\b|\bsince issue \d+|\bfigures published before\b`)

// TestNoDatedHistory fails a Markdown document that narrates the past.
func TestNoDatedHistory(t *testing.T) {
	err := filepath.WalkDir(repoRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() && path != repoRoot && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "bin") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(name, ".md") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := narration.FindString(line); m != "" {
				t.Errorf("%s:%d narrates the past (%q): say what is true now", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

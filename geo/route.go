package geo

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Routing: which region serves a player. A Table maps coarse H3 cells to
// regions and names each region's entry points; Route is a pure lookup of
// the table (the hunt's home region first, then the player's cell, then a
// fallback). Tables are immutable once built, so readers share them freely.

// ErrInvalidTable is wrapped by every error of NewTable and ParseTable.
var ErrInvalidTable = errors.New("invalid routing table")

// MaxRouteResolution is the finest resolution of a routing table's cells:
// regions are drawn with coarse cells (resolution 3 cells are ~12,000 km²).
const MaxRouteResolution = 5

// Limits of a routing table.
const (
	MaxRegions     = 256
	MaxRegionCells = 4096 // cells of one region
	MaxURLLen      = 1024 // as protocol REDIRECT's url
)

// Region is one region of a routing table.
type Region struct {
	Name  string // ValidRegion
	WS    string // WebSocket URL of its players' entry point: ws:// or wss://
	WT    string // WebTransport URL (https://); "" when it has none
	Cells []Cell // the coarse cells it serves (at most MaxRouteResolution)
}

// Table is an immutable routing table.
type Table struct {
	regions []Region        // in the order given
	byName  map[string]int  // name → index in regions
	cells   map[Cell]string // cell → region name
	res     []int           // resolutions the cells use, finest first
}

// ValidRegion reports whether name is a usable region name: 1 to 64
// letters, digits, '.', '_' or '-', starting with a letter or digit (it
// travels in query strings, flags and metrics labels as is).
func ValidRegion(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// NewTable checks regions and builds their table: names valid and unique,
// URLs of the right schemes, cells valid, coarse, and claimed by one region
// each (a region may hold a cell inside another region's coarser one: the
// finer cell wins).
func NewTable(regions []Region) (*Table, error) {
	if len(regions) > MaxRegions {
		return nil, fmt.Errorf("%w: %d regions, at most %d", ErrInvalidTable, len(regions), MaxRegions)
	}
	t := &Table{byName: map[string]int{}, cells: map[Cell]string{}}
	for i, r := range regions {
		if err := checkRegion(&r); err != nil {
			return nil, fmt.Errorf("%w: region %d (%q): %v", ErrInvalidTable, i+1, r.Name, err)
		}
		if _, dup := t.byName[r.Name]; dup {
			return nil, fmt.Errorf("%w: region %q is named twice", ErrInvalidTable, r.Name)
		}
		t.byName[r.Name] = len(t.regions)
		for _, c := range r.Cells {
			if other, dup := t.cells[c]; dup {
				return nil, fmt.Errorf("%w: cell %s is in regions %q and %q", ErrInvalidTable, c, other, r.Name)
			}
			t.cells[c] = r.Name
			if !slices.Contains(t.res, c.Resolution()) {
				t.res = append(t.res, c.Resolution())
			}
		}
		r.Cells = slices.Clone(r.Cells)
		t.regions = append(t.regions, r)
	}
	slices.SortFunc(t.res, func(a, b int) int { return b - a })
	return t, nil
}

func checkRegion(r *Region) error {
	if !ValidRegion(r.Name) {
		return errors.New("a region name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if err := checkURL(r.WS, "ws", "wss"); err != nil {
		return fmt.Errorf("ws: %v", err)
	}
	if r.WT != "" {
		if err := checkURL(r.WT, "https"); err != nil {
			return fmt.Errorf("wt: %v", err)
		}
	}
	if len(r.Cells) > MaxRegionCells {
		return fmt.Errorf("%d cells, at most %d", len(r.Cells), MaxRegionCells)
	}
	for _, c := range r.Cells {
		if !c.IsValid() || c.Resolution() > MaxRouteResolution {
			return fmt.Errorf("cell %s is not an H3 cell of resolution 0..%d", c, MaxRouteResolution)
		}
	}
	return nil
}

func checkURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	switch {
	case len(s) > MaxURLLen:
		return fmt.Errorf("a URL is at most %d bytes", MaxURLLen)
	case err != nil:
		return err
	case !slices.Contains(schemes, u.Scheme) || u.Host == "" || u.User != nil:
		return fmt.Errorf("%q is not a %s://host[:port]/path URL", s, strings.Join(schemes, "/"))
	case strings.ContainsAny(s, " \t\r\n;"):
		return fmt.Errorf("%q holds white space or ';'", s)
	}
	return nil
}

// Region returns the region named name.
func (t *Table) Region(name string) (Region, bool) {
	i, ok := t.byName[name]
	if !ok {
		return Region{}, false
	}
	return t.regions[i], true
}

// Regions returns the table's regions in the order they were given.
func (t *Table) Regions() []Region { return slices.Clone(t.regions) }

// Locate returns the region whose cell holds p, trying the finest cells
// first; false when no cell does (or p is not a valid point).
func (t *Table) Locate(p Point) (string, bool) {
	for _, res := range t.res {
		c, err := CellOf(p, res)
		if err != nil {
			return "", false
		}
		if name, ok := t.cells[c]; ok {
			return name, true
		}
	}
	return "", false
}

// Route answers which region serves a player: the hunt's home region when
// it has one (home), else the region whose cell holds p (when p is not
// nil), else fallback. It returns that region's name, and the region if
// the table holds it.
func (t *Table) Route(home string, p *Point, fallback string) (string, Region, bool) {
	name := home
	if name == "" && p != nil {
		name, _ = t.Locate(*p)
	}
	if name == "" {
		name = fallback
	}
	r, ok := t.Region(name)
	return name, r, ok
}

// ParseTable reads a routing table from its text form (a flag's value):
// regions separated by ';', each a name followed by space-separated
// key=value fields — ws= (required), wt=, and cells= (comma-separated hex
// H3 cells):
//
//	eu ws=wss://eu.example.com/ws wt=https://eu.example.com/wt cells=831f8dfffffffff,831f89fffffffff; us ws=wss://us.example.com/ws
//
// Empty entries are skipped, so the empty string is the empty table.
func ParseTable(s string) (*Table, error) {
	var regions []Region
	for i, entry := range strings.Split(s, ";") {
		fields := strings.Fields(entry)
		if len(fields) == 0 {
			continue
		}
		if len(regions) == MaxRegions {
			return nil, fmt.Errorf("%w: more than %d regions", ErrInvalidTable, MaxRegions)
		}
		r, err := parseRegion(fields)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d (%q): %v", ErrInvalidTable, i+1, fields[0], err)
		}
		regions = append(regions, r)
	}
	return NewTable(regions)
}

func parseRegion(fields []string) (Region, error) {
	r := Region{Name: fields[0]}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok || seen[k] {
			return r, fmt.Errorf("field %q is not a new key=value", f)
		}
		seen[k] = true
		switch k {
		case "ws":
			r.WS = v
		case "wt":
			r.WT = v
		case "cells":
			cells := strings.Split(v, ",")
			if len(cells) > MaxRegionCells {
				return r, fmt.Errorf("%d cells, at most %d", len(cells), MaxRegionCells)
			}
			for _, h := range cells {
				c, err := strconv.ParseUint(h, 16, 64)
				if err != nil {
					return r, fmt.Errorf("cell %q is not a hexadecimal H3 index", h)
				}
				r.Cells = append(r.Cells, Cell(c))
			}
		default:
			return r, fmt.Errorf("unknown key %q (want ws, wt or cells)", k)
		}
	}
	return r, nil
}

// String is the table's text form, which ParseTable reads back.
func (t *Table) String() string {
	var sb strings.Builder
	for i, r := range t.regions {
		if i > 0 {
			sb.WriteString("; ")
		}
		sb.WriteString(r.Name + " ws=" + r.WS)
		if r.WT != "" {
			sb.WriteString(" wt=" + r.WT)
		}
		for j, c := range r.Cells {
			if j == 0 {
				sb.WriteString(" cells=")
			} else {
				sb.WriteByte(',')
			}
			sb.WriteString(c.String())
		}
	}
	return sb.String()
}

package region

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"slices"
	"sync"
)

//go:embed data/*.csv
var files embed.FS

// Kind is the level of a region code.
type Kind int

const (
	KindUnknown Kind = iota
	KindProvince
	KindCity
	KindCounty
)

// String returns the Chinese name of the level.
func (k Kind) String() string {
	switch k {
	case KindProvince:
		return "省级"
	case KindCity:
		return "市级"
	case KindCounty:
		return "区县级"
	}
	return "未知"
}

// Region is one node of the tree.
type Region struct {
	Code   string
	Name   string
	Kind   Kind
	Parent string // "" for a province
}

// Tree is an immutable index of regions; safe for concurrent use.
type Tree struct {
	byCode   map[string]Region
	children map[string][]string
	roots    []string
}

// Provinces that issue ID numbers but are not administered from the files:
// an ID number starting with one of these is not wrong.
var idOnlyProvinces = map[string]string{
	"71": "台湾省",
	"81": "香港特别行政区",
	"82": "澳门特别行政区",
}

// HebeiCode is the province this platform serves.
const HebeiCode = "13"

var defaultTree = sync.OnceValue(func() *Tree {
	t, err := Parse(files)
	if err != nil {
		// The data is compiled in: failing here is a build defect.
		panic(fmt.Sprintf("region: embedded data: %v", err))
	}
	return t
})

// Default returns the tree built from the embedded data, parsed once.
func Default() *Tree { return defaultTree() }

// Parse builds a tree from data/provinces.csv, data/cities.csv and
// data/areas.csv in fsys, checking codes, lengths and parents.
func Parse(fsys fs.FS) (*Tree, error) {
	t := &Tree{byCode: map[string]Region{}, children: map[string][]string{}}
	if err := t.load(fsys, "data/provinces.csv", 2, KindProvince, func(r []string) string { return "" }); err != nil {
		return nil, err
	}
	if err := t.load(fsys, "data/cities.csv", 3, KindCity, func(r []string) string { return r[2] }); err != nil {
		return nil, err
	}
	if err := t.load(fsys, "data/areas.csv", 4, KindCounty, func(r []string) string { return r[2] }); err != nil {
		return nil, err
	}
	for _, c := range t.children {
		slices.Sort(c)
	}
	slices.Sort(t.roots)
	return t, nil
}

func (t *Tree) load(fsys fs.FS, name string, cols int, kind Kind, parent func([]string) string) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	rd := csv.NewReader(f)
	rd.FieldsPerRecord = cols
	rows, err := rd.ReadAll()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	wantLen := map[Kind]int{KindProvince: 2, KindCity: 4, KindCounty: 6}[kind]
	for i, r := range rows {
		if i == 0 {
			continue // header
		}
		code, p := r[0], parent(r)
		if len(code) != wantLen || !digits(code) {
			return fmt.Errorf("%s row %d: bad code %q", name, i+1, code)
		}
		if _, dup := t.byCode[code]; dup {
			return fmt.Errorf("%s row %d: duplicate code %s", name, i+1, code)
		}
		if kind != KindProvince {
			if _, ok := t.byCode[p]; !ok || code[:len(p)] != p {
				return fmt.Errorf("%s row %d: %s has unknown parent %q", name, i+1, code, p)
			}
			t.children[p] = append(t.children[p], code)
		} else {
			t.roots = append(t.roots, code)
		}
		t.byCode[code] = Region{Code: code, Name: r[1], Kind: kind, Parent: p}
	}
	return nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

func (t *Tree) get(code string, k Kind) (Region, bool) {
	r, ok := t.byCode[code]
	if !ok || r.Kind != k {
		return Region{}, false
	}
	return r, true
}

// Province returns the province with a 2-digit code.
func (t *Tree) Province(code string) (Region, bool) { return t.get(code, KindProvince) }

// City returns the city (prefecture) with a 4-digit code.
func (t *Tree) City(code string) (Region, bool) { return t.get(code, KindCity) }

// County returns the county-level region with a 6-digit code.
func (t *Tree) County(code string) (Region, bool) { return t.get(code, KindCounty) }

// Lookup returns the region of any level.
func (t *Tree) Lookup(code string) (Region, bool) {
	r, ok := t.byCode[code]
	return r, ok
}

// Name is the Chinese name of a code, "" when unknown.
func (t *Tree) Name(code string) string { return t.byCode[code].Name }

// FullName joins the names from the province down, e.g. "河北省石家庄市长安区".
// The placeholder city "市辖区" of municipalities is left out.
func (t *Tree) FullName(code string) string {
	r, ok := t.byCode[code]
	if !ok {
		return ""
	}
	name := r.Name
	if r.Kind == KindCity && r.Name == "市辖区" {
		name = ""
	}
	if r.Parent == "" {
		return name
	}
	return t.FullName(r.Parent) + name
}

// Parent returns the code one level up, "" for a province or an unknown code.
func (t *Tree) Parent(code string) string { return t.byCode[code].Parent }

// Children lists the codes one level down, sorted; nil for a county.
func (t *Tree) Children(code string) []string {
	return slices.Clone(t.children[code])
}

// Provinces lists every province code, sorted.
func (t *Tree) Provinces() []string { return slices.Clone(t.roots) }

// Kind is the level of a known code, KindUnknown otherwise.
func (t *Tree) Kind(code string) Kind { return t.byCode[code].Kind }

// Valid reports whether code is a known region of any level.
func (t *Tree) Valid(code string) bool { _, ok := t.byCode[code]; return ok }

// Contains reports whether inner lies inside outer (or is it).
func (t *Tree) Contains(outer, inner string) bool {
	return t.Valid(outer) && t.Valid(inner) && len(inner) >= len(outer) && inner[:len(outer)] == outer
}

// CountiesOf lists every county-level code under a province or city.
func (t *Tree) CountiesOf(code string) []string {
	var out []string
	for _, c := range t.children[code] {
		if t.Kind(c) == KindCounty {
			out = append(out, c)
		} else {
			out = append(out, t.CountiesOf(c)...)
		}
	}
	return out
}

// HebeiCounties lists Hebei's county-level codes, development zones included.
func (t *Tree) HebeiCounties() []string { return t.CountiesOf(HebeiCode) }

// IDProvince reports whether a 2-digit code may start an ID number, and its
// name: every province of the tree plus Hong Kong, Macau and Taiwan.
func (t *Tree) IDProvince(code string) (string, bool) {
	if r, ok := t.Province(code); ok {
		return r.Name, true
	}
	n, ok := idOnlyProvinces[code]
	return n, ok
}

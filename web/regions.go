package web

import "github.com/hbte/record/domain/region"

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// OptionGroup is an optgroup of a select.
type OptionGroup struct {
	Label   string
	Options []Option
}

// CountyGroups are the counties of a jurisdiction for a select, grouped by
// city: a county's own county alone, a city's counties, or a province's by
// city.
func CountyGroups(t *region.Tree, juris string) []OptionGroup {
	switch t.Kind(juris) {
	case region.KindCounty:
		return []OptionGroup{{Label: t.Name(t.Parent(juris)), Options: []Option{{juris, t.Name(juris)}}}}
	case region.KindCity:
		g := OptionGroup{Label: t.Name(juris)}
		for _, c := range t.CountiesOf(juris) {
			g.Options = append(g.Options, Option{c, t.Name(c)})
		}
		return []OptionGroup{g}
	case region.KindProvince:
		var out []OptionGroup
		for _, city := range t.Children(juris) {
			out = append(out, CountyGroups(t, city)...)
		}
		return out
	}
	return nil
}

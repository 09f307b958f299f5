package teacherpages

import (
	"io"
	"io/fs"
	"log/slog"
	"testing"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// Every view parses with the shared layout.
func TestViewsParse(t *testing.T) {
	k := &web.Kit{Config: web.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	sub, err := fs.Sub(views, "views")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Parse(sub); err != nil {
		t.Fatal(err)
	}
}

// The chart has one bar per year from the first year to the last, the
// tallest at the top of the scale's headroom, empty years empty.
func TestHoursChart(t *testing.T) {
	c := hoursChart([]projections.YearTotal{{Year: 2021, Hours: credit.Whole(40)}, {Year: 2022, Hours: credit.Whole(90)}}, 2018, 2024)
	if len(c.Bars) != 7 || c.Bars[0].Year != 2018 || c.Bars[6].Year != 2024 {
		t.Fatalf("bars: %+v", c.Bars)
	}
	if c.Bars[0].H != 0 || c.Bars[3].Hours != credit.Whole(40) || c.Bars[4].Hours != credit.Whole(90) {
		t.Fatalf("values: %+v", c.Bars)
	}
	if c.Bars[4].H <= c.Bars[3].H || c.Bars[4].Y+c.Bars[4].H != c.Baseline || c.Bars[4].H > chartPlot {
		t.Fatalf("geometry: %+v (baseline %d)", c.Bars[4], c.Baseline)
	}
	if top := c.Ticks[len(c.Ticks)-1].Label; top != "100" {
		t.Fatalf("scale top %s, want 100", top)
	}
	// A year before the first asked for still shows.
	if c := hoursChart([]projections.YearTotal{{Year: 2016, Hours: credit.Whole(500)}}, 2018, 2020); c.Bars[0].Year != 2016 || c.Ticks[4].Label != "500" {
		t.Fatalf("early year: %+v %+v", c.Bars[0], c.Ticks)
	}
}

package teacherpages

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hbte/record/domain/credit"
	"github.com/hbte/record/domain/ident"
	"github.com/hbte/record/projections"
	"github.com/hbte/record/web"
)

// FirstCreditYear is when the platform started: the personal space shows
// every record since.
const FirstCreditYear = 2018

type creditsData struct {
	History projections.CreditHistory
	Chart   barChart
	// Years are the entries per training year, newest first.
	Years []creditYear
}

type creditYear struct {
	Year    int
	Hours   credit.Quantity
	Credits credit.Quantity
	Entries []projections.CreditEntry
}

// barChart is a server-rendered SVG of hours per year: no script, every
// bar labelled, a <title> and <desc> for screen readers.
type barChart struct {
	Width, Height int
	Baseline      int
	Bars          []bar
	Ticks         []tick
	Desc          string
}

type bar struct {
	X, Y, W, H int
	LabelX     int
	LabelY     int
	ValueY     int
	Year       int
	Hours      credit.Quantity
	Title      string
}

type tick struct {
	Y     int
	Label string
}

const (
	chartBarW   = 34
	chartGap    = 18
	chartLeft   = 44
	chartTop    = 24
	chartPlot   = 160
	chartBottom = 28
)

// hoursChart draws the hours of every year from first to last (years
// without training show an empty bar, so a gap is visible).
func hoursChart(years []projections.YearTotal, first, last int) barChart {
	by := map[int]credit.Quantity{}
	maxQ := credit.Quantity{}
	for _, y := range years {
		by[y.Year] = y.Hours
		if y.Year < first {
			first = y.Year
		}
		if y.Year > last {
			last = y.Year
		}
		maxQ = maxQ.Max(y.Hours)
	}
	// The axis needs whole hours; the bars and labels keep the exact figure.
	max := int(math.Ceil(maxQ.Float()))
	// A round top for the axis: 10, 20, 50, 100, 200, 500...
	top := 10
	for _, step := range []int{10, 20, 50, 100, 200, 500, 1000, 2000, 5000} {
		top = step
		if max <= step {
			break
		}
	}
	for top < max {
		top *= 2
	}
	n := last - first + 1
	c := barChart{Width: chartLeft + n*(chartBarW+chartGap) + chartGap, Height: chartTop + chartPlot + chartBottom,
		Baseline: chartTop + chartPlot}
	for i := 0; i <= 4; i++ {
		v := top * i / 4
		c.Ticks = append(c.Ticks, tick{Y: c.Baseline - chartPlot*i/4, Label: strconv.Itoa(v)})
	}
	var desc []string
	for i := 0; i < n; i++ {
		year := first + i
		h := by[year]
		bh := int(float64(chartPlot) * h.Float() / float64(top))
		if h.Sign() > 0 && bh < 2 {
			bh = 2
		}
		x := chartLeft + chartGap + i*(chartBarW+chartGap)
		c.Bars = append(c.Bars, bar{X: x, Y: c.Baseline - bh, W: chartBarW, H: bh, LabelX: x + chartBarW/2,
			LabelY: c.Baseline + 18, ValueY: c.Baseline - bh - 6, Year: year, Hours: h,
			Title: fmt.Sprintf("%d年：%s学时", year, h)})
		desc = append(desc, fmt.Sprintf("%d年%s学时", year, h))
	}
	c.Desc = strings.Join(desc, "，")
	return c
}

// credits is every credit entry since 2018, per year, with the chart. One
// query: the per-cycle totals are the registration page's business.
func (s *Section) credits(w http.ResponseWriter, r *http.Request) {
	h, err := s.Credits.CreditHistory(r.Context(), me(r), FirstCreditYear, nil)
	if err != nil {
		s.k.Fail(w, r, err)
		return
	}
	this := time.Now().In(ident.ChinaTime).Year()
	d := creditsData{History: h, Chart: hoursChart(h.Years, FirstCreditYear, this)}
	idx := map[int]int{}
	for _, e := range h.Entries {
		i, ok := idx[e.Year]
		if !ok {
			i = len(d.Years)
			idx[e.Year] = i
			d.Years = append(d.Years, creditYear{Year: e.Year})
		}
		d.Years[i].Entries = append(d.Years[i].Entries, e)
	}
	for _, y := range h.Years {
		if i, ok := idx[y.Year]; ok {
			d.Years[i].Hours, d.Years[i].Credits = y.Hours, y.Credits
		}
	}
	// Newest year first: that is what a teacher looks for.
	slices.SortStableFunc(d.Years, func(a, b creditYear) int { return b.Year - a.Year })
	s.views.Render(w, r, http.StatusOK, "credits", web.Page{Title: "学分", Data: d})
}

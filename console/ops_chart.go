package console

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// chart is a bar chart drawn on the server as inline SVG: no script, no
// style attribute (the CSP allows neither), colours by class from
// console.css. Only numbers, our own date labels and catalogue texts go
// into it, and every text is escaped all the same. The same numbers are
// in Rows, for the data table beside it (screen readers, copying).
type chart struct {
	ID     string // unique on the page: the SVG's title id
	Title  string // translated; the SVG's accessible name
	Labels []string
	Series []chartSeries
	Every  int // label every n-th bar (the table has them all)
	Digits int // decimals of the values shown
	SVG    template.HTML
	Rows   []chartRow
}

type chartSeries struct {
	Name   string // translated
	Class  string // series-a, series-b: the colour
	Values []float64
}

type chartRow struct {
	Label  string
	Values []string
}

const (
	chartW, chartH                           = 720.0, 240.0
	chartLeft, chartRight, chartTop, chartBt = 48.0, 8.0, 12.0, 30.0
)

// draw renders the SVG and the table rows.
func (ch *chart) draw() {
	esc := template.HTMLEscapeString
	pw, ph := chartW-chartLeft-chartRight, chartH-chartTop-chartBt
	most := 0.0
	for _, s := range ch.Series {
		for _, v := range s.Values {
			most = math.Max(most, v)
		}
	}
	top := niceTop(most, ch.Digits)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t" focusable="false">`,
		int(chartW), int(chartH), esc(ch.ID))
	fmt.Fprintf(&b, `<title id="%s-t">%s</title>`, esc(ch.ID), esc(ch.Title))
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		y := chartTop + ph - ph*v/top
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"></line>`, chartLeft, chartW-chartRight, y, y)
		fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, y+4, esc(num(v, 2)))
	}
	n := max(len(ch.Labels), 1)
	gw := pw / float64(n)
	bw := gw * 0.8 / float64(max(len(ch.Series), 1))
	every := max(ch.Every, 1)
	for i, l := range ch.Labels {
		for j, s := range ch.Series {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			h := ph * v / top
			x := chartLeft + gw*float64(i) + gw*0.1 + bw*float64(j)
			fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
				esc(s.Class), x, chartTop+ph-h, bw, h, esc(l), esc(s.Name), esc(num(v, ch.Digits)))
		}
		if i%every == 0 {
			fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`,
				chartLeft+gw*float64(i)+gw/2, chartH-10, esc(l))
		}
	}
	fmt.Fprintf(&b, `<line class="base" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"></line></svg>`,
		chartLeft, chartW-chartRight, chartTop+ph, chartTop+ph)
	ch.SVG = template.HTML(b.String()) // #nosec: built above from escaped text and numbers
	ch.Rows = nil
	for i, l := range ch.Labels {
		row := chartRow{Label: l}
		for _, s := range ch.Series {
			row.Values = append(row.Values, num(s.Values[i], ch.Digits))
		}
		ch.Rows = append(ch.Rows, row)
	}
}

// niceTop is the top of the value axis: four grid steps of 1, 2, 2.5 or 5
// times a power of ten (whole steps for counts, digits 0), at least v.
func niceTop(v float64, digits int) float64 {
	x := v / 4
	step := 0.25
	if x > 0 {
		p := math.Pow(10, math.Floor(math.Log10(x)))
		step = 10 * p
		for _, f := range []float64{1, 2, 2.5, 5} {
			if f*p >= x {
				step = f * p
				break
			}
		}
	}
	if digits == 0 {
		step = math.Max(math.Ceil(step), 1)
	}
	return 4 * step
}

// num shows v with at most digits decimals, without trailing zeros.
func num(v float64, digits int) string {
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

package console

import (
	"html/template"
	"strings"
	"testing"
)

func TestNiceTop(t *testing.T) {
	for _, c := range []struct {
		v      float64
		digits int
		want   float64
	}{{0, 0, 4}, {1, 0, 4}, {4, 0, 4}, {5, 0, 8}, {9, 0, 12}, {37, 0, 40}, {41, 0, 80}, {950, 0, 1000},
		{0, 1, 1}, {0.3, 1, 0.4}, {1.2, 1, 2}, {7, 1, 8}} {
		if got := niceTop(c.v, c.digits); got != c.want {
			t.Errorf("niceTop(%v, %d) = %v, want %v", c.v, c.digits, got, c.want)
		}
	}
}

// The SVG carries only escaped text: a hostile label or series name
// stays text, and every bar has its value in a title and in the table.
func TestChartEscapesAndTabulates(t *testing.T) {
	ch := &chart{ID: "c1", Title: `Tickets <script>`, Labels: []string{"01/12", `<b>02/12</b>`},
		Series: []chartSeries{{Name: `"x" & y`, Class: "series-a", Values: []float64{3, 0.5}}}, Digits: 1}
	ch.draw()
	svg := string(ch.SVG)
	for _, bad := range []string{"<script>", "<b>", `"x"`} {
		if strings.Contains(svg, bad) {
			t.Fatalf("unescaped %q in %s", bad, svg)
		}
	}
	if !strings.Contains(svg, `<title id="c1-t">Tickets &lt;script&gt;</title>`) || strings.Count(svg, "<rect ") != 2 ||
		!strings.Contains(svg, "01/12 · &#34;x&#34; &amp; y: 3</title>") || !strings.Contains(svg, ": 0.5</title>") {
		t.Fatalf("svg %s", svg)
	}
	if len(ch.Rows) != 2 || ch.Rows[1].Label != "<b>02/12</b>" || ch.Rows[1].Values[0] != "0.5" {
		t.Fatalf("rows %+v", ch.Rows)
	}
	var _ template.HTML = ch.SVG
}

package console

import (
	"net/http"
	"strconv"

	"turno/mailin"
	"turno/mailout"
)

// dashView is the dashboard: a few counts that link to their page, and
// three charts. Every number comes from a small collection read by _id
// or from the markers the outbox keeps (never from the tickets or the
// outbox themselves): tickets_daily (14 reads), outbox_hourly (48
// reads), the ready markers, the mailbox cursors and the quarantine.
type dashView struct {
	Cards  []dashCard
	Charts []*chart
}

type dashCard struct {
	Label string // message key
	Value string
	Href  string
	Warn  bool
}

const (
	dashDays  = 14
	dashHours = 48
)

func (c *Console) opsDashboard(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := opsCtx(r)
	defer cancel()
	v := c.opsView(r, "dashboard")
	now := c.o.Clock.Now()
	loc := c.o.Location
	boxes, err := mailin.Statuses(ctx, c.o.DB)
	if err != nil {
		c.opsFail(w, r, "dashboard", err)
		return
	}
	held, err := mailin.ListQuarantine(ctx, c.o.DB, mailin.QuarantineHeld)
	if err != nil {
		c.opsFail(w, r, "dashboard", err)
		return
	}
	depth, err := mailout.ReadDepth(ctx, c.o.DB)
	if err != nil {
		c.opsFail(w, r, "dashboard", err)
		return
	}
	days, err := c.o.Tickets.DailyStats(ctx, now, dashDays)
	if err != nil {
		c.opsFail(w, r, "dashboard", err)
		return
	}
	hours, err := mailout.HourlyStats(ctx, c.o.DB, now, dashHours)
	if err != nil {
		c.opsFail(w, r, "dashboard", err)
		return
	}
	connected, erring := 0, 0
	for _, b := range boxes {
		if b.Connected {
			connected++
		}
		if b.LastError != "" {
			erring++
		}
	}
	var failed24 int64
	for _, h := range hours[len(hours)-24:] {
		failed24 += h.Failed
	}
	itoa := strconv.Itoa
	dv := &dashView{Cards: []dashCard{
		{Label: "ops.card.mailboxes", Value: itoa(connected) + " / " + itoa(len(boxes)), Href: Prefix + "/ops/mail",
			Warn: connected < len(boxes) || erring > 0},
		{Label: "ops.card.quarantine", Value: itoa(len(held)), Href: Prefix + "/ops/mail#quarantine", Warn: len(held) > 0},
		{Label: "ops.card.waiting", Value: itoa(depth.WaitingSum), Href: Prefix + "/ops/outbox"},
		{Label: "ops.card.failed24", Value: strconv.FormatInt(failed24, 10), Href: Prefix + "/ops/outbox#failures",
			Warn: failed24 > 0},
	}}

	t := func(key string) string { return c.Site.T(r, key) }
	tk := &chart{ID: "chart-tickets", Title: t("ops.chart.tickets"), Every: 2}
	fr := &chart{ID: "chart-first", Title: t("ops.chart.first"), Every: 2, Digits: 1}
	opened := chartSeries{Name: t("ops.series.opened"), Class: "series-a"}
	solved := chartSeries{Name: t("ops.series.solved"), Class: "series-b"}
	mean := chartSeries{Name: t("ops.series.hours"), Class: "series-a"}
	for _, d := range days {
		label := d.Day
		if len(label) == 10 { // YYYY-MM-DD → DD/MM
			label = label[8:10] + "/" + label[5:7]
		}
		tk.Labels, fr.Labels = append(tk.Labels, label), append(fr.Labels, label)
		opened.Values = append(opened.Values, float64(d.Opened))
		solved.Values = append(solved.Values, float64(d.Solved))
		mean.Values = append(mean.Values, d.MeanFirstResponse().Hours())
	}
	tk.Series = []chartSeries{opened, solved}
	fr.Series = []chartSeries{mean}
	ob := &chart{ID: "chart-outbox", Title: t("ops.chart.outbox"), Every: 6}
	sent := chartSeries{Name: t("ops.series.sent"), Class: "series-b"}
	fail := chartSeries{Name: t("ops.series.failed"), Class: "series-c"}
	for _, h := range hours {
		ob.Labels = append(ob.Labels, h.Start.In(loc).Format("02/01 15h"))
		sent.Values = append(sent.Values, float64(h.Sent))
		fail.Values = append(fail.Values, float64(h.Failed))
	}
	ob.Series = []chartSeries{sent, fail}
	for _, ch := range []*chart{tk, fr, ob} {
		ch.draw()
		dv.Charts = append(dv.Charts, ch)
	}
	v.Dash = dv
	c.Site.Render(w, r, http.StatusOK, "ops", v)
}

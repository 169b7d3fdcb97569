package main

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"turno/config"
	"turno/templates"
)

// ceiling sends n pre-rendered messages with go-mail alone over conns
// connections and returns the time from the first dial to the last QUIT.
func ceiling(addr string, n, conns int) (time.Duration, error) {
	set, err := loadTemplates()
	if err != nil {
		return 0, err
	}
	mc := config.Default().Mail
	msgs := make([]*gomail.Msg, n)
	for i := range n {
		r, err := set.Render("payment_received", "es", templates.SampleData("payment_received"))
		if err != nil {
			return 0, err
		}
		m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP), gomail.WithNoDefaultUserAgent())
		if err := m.FromFormat(mc.FromName, mc.FromAddress); err != nil {
			return 0, err
		}
		if err := m.To(recipient(i)); err != nil {
			return 0, err
		}
		m.Subject(r.Subject)
		m.SetMessageIDWithValue(fmt.Sprintf("ceiling.%d.%d@%s", n, i, mc.Domain))
		m.SetDate()
		m.SetGenHeaderPreformatted("Auto-Submitted", "auto-generated")
		m.SetGenHeaderPreformatted("X-Auto-Response-Suppress", "All")
		m.SetGenHeaderPreformatted("X-Turno-Loop", mc.Domain)
		m.SetBodyString(gomail.TypeTextPlain, r.Text)
		m.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
		msgs[i] = m
	}
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, conns)
	for w := range conns {
		var share []*gomail.Msg
		for i := w; i < n; i += conns {
			share = append(share, msgs[i])
		}
		wg.Go(func() {
			c, err := gomail.NewClient(host, gomail.WithPort(p), gomail.WithTLSPolicy(gomail.NoTLS),
				gomail.WithoutNoop(), gomail.WithoutRset(), gomail.WithTimeout(30*time.Second), gomail.WithHELO(mc.Domain))
			if err != nil {
				errs[w] = err
				return
			}
			if err := c.DialWithContext(context.Background()); err != nil {
				errs[w] = err
				return
			}
			if err := c.Send(share...); err != nil {
				errs[w] = err
			}
			if err := c.Close(); err != nil && errs[w] == nil {
				errs[w] = err
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return d, nil
}

func recipient(i int) string { return fmt.Sprintf("c%d@cliente.cl", i) }

func loadTemplates() (*templates.Set, error) {
	return templates.Load(templates.Options{Company: templates.Company{Name: "Mi Proveedor SpA", SupportAddress: "soporte@example.cl"}})
}

package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"turno/daemon"
	"turno/mailout"
	"turno/templates"
)

func newTemplatesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "templates", Short: "List and preview the emails Turno sends"}
	var asJSON bool
	list := &cobra.Command{
		Use: "list", Short: "List the emails and languages", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			type email struct {
				Name  string   `json:"name"`
				Langs []string `json:"langs"`
			}
			var emails []email
			for _, n := range templates.Names() {
				emails = append(emails, email{n, templates.Langs()})
			}
			return e.emit(asJSON, emails, func(w io.Writer) error {
				tw := newTable(w, "EMAIL\tLANGUAGES")
				for _, m := range emails {
					fmt.Fprintf(tw, "%s\t%s\n", m.Name, strings.Join(m.Langs, " "))
				}
				return tw.Flush()
			})
		},
	}
	jsonFlag(list, &asJSON)
	var lang, dataFile string
	var eml bool
	render := &cobra.Command{
		Use:   "render NAME",
		Short: "Render one email with sample data or --data FILE.json",
		Long: `Render one email as it would be sent, with the configured company and
template overrides: the subject, the text part and the HTML part, or with
--eml the whole MIME message. Without --data the built-in sample data are used.`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := e.load()
			if err != nil {
				return err
			}
			set, err := templates.Load(daemon.TemplateOptions(cfg))
			if err != nil {
				return err
			}
			data := templates.SampleData(args[0])
			if dataFile != "" {
				b, err := os.ReadFile(dataFile)
				if err != nil {
					return err
				}
				if data, err = templates.DecodeData(args[0], b); err != nil {
					return err
				}
			}
			if data == nil {
				return fmt.Errorf("unknown email %q (see turno templates list)", args[0])
			}
			if eml {
				msg, err := mailout.Preview(set, cfg.Mail, args[0], lang, data, time.Now())
				if err != nil {
					return err
				}
				_, err = e.stdout.Write(msg)
				return err
			}
			r, err := set.Render(args[0], lang, data)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Subject: %s\n\n----- text/plain -----\n%s\n----- text/html -----\n%s\n", r.Subject, r.Text, r.HTML)
			return nil
		},
	}
	render.Flags().StringVar(&lang, "lang", "es", "language: es or en")
	render.Flags().StringVar(&dataFile, "data", "", "JSON file with the email's data")
	render.Flags().BoolVar(&eml, "eml", false, "print the full MIME message")
	cmd.AddCommand(list, render)
	return cmd
}

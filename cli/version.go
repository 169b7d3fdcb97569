package cli

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"turno/daemon"
)

func newVersionCmd(e *env) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := map[string]string{"version": daemon.Version, "go": runtime.Version()}
			return e.emit(asJSON, v, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "turno %s (%s)\n", v["version"], v["go"])
				return err
			})
		},
	}
	jsonFlag(cmd, &asJSON)
	return cmd
}

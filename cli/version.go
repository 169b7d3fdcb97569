package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"turno/daemon"
)

func newVersionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintf(e.stdout, "turno %s (%s)\n", daemon.Version, runtime.Version())
		},
	}
}

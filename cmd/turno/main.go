// Command turno is Turno's one binary: the daemon (turno serve) and its admin
// subcommands. Everything lives in package cli; this only wires the process.
package main

import (
	"os"

	"turno/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr, os.Environ()))
}

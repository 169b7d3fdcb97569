#!/usr/bin/env bash
# govulncheck on the whole module: fails (exit 1) when our code calls a
# function with a known vulnerability that scripts/vulncheck.allow does not
# list. scripts/test.sh (and so CI) runs it; run it by hand the same way.
#
# The database: $VULNDB when set (e.g. VULNDB=https://vuln.go.dev by hand,
# where that site is reachable), else the snapshot of the Go vulnerability
# database that the Go module proxy serves as the module golang.org/x/vulndb
# (its data/osv, read as a directory of OSV files). Raise VULNDB_VERSION to
# a newer snapshot to see newer advisories. When neither govulncheck nor
# the snapshot can be fetched (no module proxy), the check is skipped with
# a message and exit 0, so a machine without network is not red for it;
# VULNCHECK_REQUIRED=1 makes that an error instead.
set -euo pipefail
cd "$(dirname "$0")/.."

GOVULNCHECK_VERSION=${GOVULNCHECK_VERSION:-v1.9.0}
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}

skip() {
  echo "vulncheck: SKIPPED: $*"
  if [ "${VULNCHECK_REQUIRED:-}" = 1 ]; then exit 1; fi
  exit 0
}

db="${VULNDB:-}"
if [ -z "$db" ]; then
  dir=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" 2>/dev/null |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') || true
  if [ -z "$dir" ] || [ ! -d "$dir/data/osv" ]; then
    skip "the vulnerability database snapshot golang.org/x/vulndb@$VULNDB_VERSION could not be fetched from the module proxy; run scripts/vulncheck.sh where it can, or with VULNDB=<URL or file:// directory>"
  fi
  db="file://$dir/data/osv"
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
if ! GOBIN="$bin" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" 2>"$bin/install.log"; then
  cat "$bin/install.log"
  skip "govulncheck $GOVULNCHECK_VERSION could not be installed from the module proxy"
fi

out="$bin/findings.json"
if ! "$bin/govulncheck" -db "$db" -format json ./... >"$out" 2>"$bin/err.log"; then
  cat "$bin/err.log"
  echo "vulncheck: govulncheck failed"
  exit 1
fi
go run ./scripts/vulncheck scripts/vulncheck.allow <"$out"

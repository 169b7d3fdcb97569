#!/usr/bin/env bash
# Run every test, the integration tests against the real Dovecot and
# Postfix smtp-sink included: installs what is missing (Debian packages, Go
# modules), starts the servers on loopback, runs vet, gofmt and go test, and
# stops the servers; checks for known vulnerabilities our code calls
# (scripts/vulncheck.sh). The one test command of the README and of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/test-services.sh start
trap 'scripts/test-services.sh stop' EXIT
# shellcheck disable=SC1091
. .test-services/env
# Integration tests fail instead of skipping when their server is missing.
export CI="${CI:-true}"

go mod download
echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.test-services/*'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

# Known vulnerabilities our code calls (scripts/vulncheck.sh: skipped with a
# message where the module proxy cannot be reached). Its verdict is given
# after the tests, so a finding does not hide their results.
echo "== govulncheck"
set +e
scripts/vulncheck.sh
vulnstatus=$?
set -e

# axe-core for the browser tests (internal/browser), from the npm registry.
if command -v npm >/dev/null; then
  echo "== npm ci (internal/browser/axe)"
  (cd internal/browser/axe && npm ci --no-audit --no-fund --loglevel=error)
elif [ -n "${CI:-}" ]; then
  echo "npm is missing: the browser tests need axe-core"; exit 1
else
  echo "== npm missing: the browser tests will skip"
fi

# Screenshots of every page the browser tests visit and the billing PDF's
# first page, kept for a person to look at.
export TURNO_TEST_ARTIFACTS="${TURNO_TEST_ARTIFACTS:-$PWD/test-artifacts}"
rm -rf "$TURNO_TEST_ARTIFACTS"; mkdir -p "$TURNO_TEST_ARTIFACTS"

echo "== go test"
log=$(mktemp)
set +e
go test -count=1 -timeout 30m -v "$@" ./... > "$log" 2>&1
status=$?
set -e
# One line per test and package, full output of failures.
grep -E '^(--- (PASS|FAIL|SKIP)|ok |FAIL|panic:|\s+--- FAIL)' "$log" || true
if [ $status -ne 0 ]; then
  echo "== failures (full output)"
  cat "$log"
fi
pass=$(grep -c -- '--- PASS' "$log" || true)
fail=$(grep -c -- '--- FAIL' "$log" || true)
skip=$(grep -c -- '--- SKIP' "$log" || true)
rm -f "$log"
if [ $vulnstatus -ne 0 ]; then
  echo "== govulncheck failed: our code calls a vulnerable function (see its output above)"
  [ $status -ne 0 ] || status=$vulnstatus
fi
echo "artifacts (screenshots, PDF pages): $TURNO_TEST_ARTIFACTS ($(find "$TURNO_TEST_ARTIFACTS" -name '*.png' | wc -l) PNG files)"
echo "$pass passed, $fail failed, $skip skipped"
exit $status

#!/usr/bin/env bash
# Alle Tests / the whole test suite: ./test.sh [pytest-Argumente / pytest args]
#
#   ./test.sh                      ruff check, ruff format --check, then every test
#   ./test.sh tests/ledger -x      extra arguments go to pytest
#   TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test ./test.sh
#                                  every database test also runs on PostgreSQL
#
# Exit code: pytest's; a ruff finding fails the run too (pytest still runs, so you see both).
set -euo pipefail

# shellcheck source=start.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/start.sh"
cd "$SC_ROOT"

CHROMIUM="${SUPPORTCLUB_CHROMIUM:-/usr/bin/chromium}"

# The browser tests need the system Chromium; install it when we may, else explain.
ensure_chromium() {
    if [[ -x "$CHROMIUM" ]]; then
        return 0
    fi
    if [[ "$CHROMIUM" == /usr/bin/chromium && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "Chromium für die Browser-Tests installieren / installing Chromium for the browser tests"
        export DEBIAN_FRONTEND=noninteractive
        if apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; then
            return 0
        fi
    fi
    echo "    HINWEIS / NOTE: $CHROMIUM fehlt / is missing: die Browser-Tests (tests/e2e) werden übersprungen."
    echo "    Installieren / install:  sudo apt-get install --no-install-recommends chromium"
    echo "    (oder / or set SUPPORTCLUB_CHROMIUM=/path/to/chromium)"
}

say "1/4 Python-Umgebung mit Test-Werkzeugen / Python environment with the test tools"
ensure_venv
install_project test

say "2/4 Browser / browser"
ensure_chromium

say "3/4 ruff check . && ruff format --check ."
lint_failed=0
"$SC_PY" -m ruff check . || lint_failed=1
"$SC_PY" -m ruff format --check . || lint_failed=1

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
    say "4/4 pytest (SQLite und/and PostgreSQL: TEST_DATABASE_URL ist gesetzt / is set)"
else
    say "4/4 pytest (nur/only SQLite; für PostgreSQL / for PostgreSQL: TEST_DATABASE_URL=postgresql+psycopg://...)"
fi
status=0
"$SC_PY" -m pytest "$@" || status=$?

if ((lint_failed)); then
    echo
    echo "FEHLER / FAILED: ruff hat Probleme gefunden (siehe oben) / ruff found problems (see above)."
    echo "  Beheben / fix:  .venv/bin/ruff check --fix . && .venv/bin/ruff format ."
    if ((status == 0)); then
        status=1
    fi
fi
exit "$status"

#!/usr/bin/env bash
# supportclub starten / start supportclub: ./start.sh
#
# Legt beim ersten Mal die Python-Umgebung (.venv) an, installiert das Projekt,
# bringt die Datenbank auf den neuesten Stand, lädt die Demo-Daten und startet
# die App auf http://127.0.0.1:5000 (anderer Port: PORT=5001 ./start.sh).
#
# First run: creates .venv, installs the project, migrates the database, loads the
# demo data and serves the app on http://127.0.0.1:5000 (other port: PORT=5001).
#
# test.sh sources this file for the shared bootstrap functions; the app only starts
# when this file is executed, not when it is sourced.
set -euo pipefail

SC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SC_VENV="$SC_ROOT/.venv"
SC_PY="$SC_VENV/bin/python"
SC_STAMP="$SC_VENV/.supportclub-installed"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nFEHLER / ERROR: %s\n' "$*" >&2; exit 1; }

# A python3 that is 3.11 or newer: $PYTHON, else python3, python3.13, python3.12, python3.11.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# True when .venv holds a working Python 3.11+ with pip.
venv_ok() {
    [[ -x "$SC_PY" ]] &&
        "$SC_PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null &&
        "$SC_PY" -m pip --version >/dev/null 2>&1
}

# Install the venv module for $1 with apt-get (as root), or say how to do it.
install_venv_module() {
    local python="$1" version
    version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "python$version-venv fehlt, wird mit apt-get installiert / installing python$version-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "python$version-venv" ||
            apt-get install -y -qq --no-install-recommends python3-venv
        return 0
    fi
    die "Python kann keine virtuelle Umgebung anlegen (ensurepip fehlt).
  Bitte einmal installieren / please install once:
      sudo apt-get install python$version-venv     (oder/or: sudo apt-get install python3-venv)
  und dann ./start.sh erneut aufrufen / then run ./start.sh again."
}

# Create .venv if it is missing or broken.
ensure_venv() {
    if venv_ok; then
        return 0
    fi
    local python
    python="$(find_python)" || die "Python 3.11 oder neuer wird gebraucht / Python 3.11+ is required.
  Debian/Ubuntu: sudo apt-get install python3 python3-venv"
    if [[ -e "$SC_VENV" ]]; then
        say "Unvollständige .venv wird neu angelegt / rebuilding a broken .venv"
        rm -rf "$SC_VENV"
    fi
    say "Python-Umgebung anlegen (.venv mit $("$python" --version)) / creating the virtual environment"
    if ! "$python" -m venv "$SC_VENV"; then
        rm -rf "$SC_VENV"  # a venv without pip is left behind when ensurepip is missing
        install_venv_module "$python"
        "$python" -m venv "$SC_VENV" || die "python -m venv ist fehlgeschlagen / venv creation failed"
    fi
    venv_ok || die ".venv wurde angelegt, aber pip fehlt darin / .venv has no pip"
}

# What the installed state depends on: the project files, the extras and where the project lives.
install_fingerprint() {
    local extras="$1"
    {
        cat "$SC_ROOT/pyproject.toml" "$SC_ROOT/constraints.txt"
        printf '%s\n%s\n' "$extras" "$SC_ROOT"
    } | sha256sum | cut -d' ' -f1
}

# pip install -c constraints.txt -e .[EXTRAS], only when something changed since the last time.
# Installing the test extras also satisfies a later plain install.
install_project() {
    local extras="${1:-}" target="." wanted stamp=""
    if [[ -n "$extras" ]]; then target=".[$extras]"; fi
    wanted="$(install_fingerprint "$extras")"
    if [[ -f "$SC_STAMP" ]]; then stamp="$(cat "$SC_STAMP")"; fi
    if [[ "$stamp" == *"$wanted"* ]]; then
        echo "    Abhängigkeiten sind aktuell / dependencies up to date"
        return 0
    fi
    say "Abhängigkeiten installieren (pip install -c constraints.txt -e '$target') / installing dependencies"
    (cd "$SC_ROOT" && "$SC_PY" -m pip install --quiet -c constraints.txt -e "$target")
    # Remember this install and, for the test extras, that the plain install is covered too.
    {
        echo "$wanted"
        if [[ -n "$extras" ]]; then install_fingerprint ""; fi
    } >"$SC_STAMP"
}

# Fail early with a clear message when the port is taken.
check_port_free() {
    local port="$1"
    "$SC_PY" - "$port" <<'EOF' || die "Port $port ist schon belegt / port $port is in use.
  Anderen Port wählen / choose another port:  PORT=5001 ./start.sh"
import socket, sys
with socket.socket() as s:
    try:
        s.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
EOF
}

main() {
    cd "$SC_ROOT"
    local port="${PORT:-5000}"
    [[ "$port" =~ ^[0-9]+$ ]] || die "PORT muss eine Zahl sein / PORT must be a number: $port"

    say "1/4 Python-Umgebung prüfen / checking the Python environment"
    ensure_venv
    check_port_free "$port"
    install_project ""

    say "2/4 Datenbank auf den neuesten Stand bringen / migrating the database (flask db upgrade)"
    "$SC_PY" -m flask --app supportclub db upgrade

    say "3/4 Demo-Daten laden (nur beim ersten Mal) / loading the demo data (first run only)"
    "$SC_PY" -m flask --app supportclub demo

    say "4/4 supportclub läuft auf / is running at  http://127.0.0.1:$port   (Beenden/stop: Strg+C / Ctrl+C)"
    exec "$SC_PY" -m flask --app supportclub run --host 127.0.0.1 --port "$port"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    main "$@"
fi

#!/usr/bin/env bash
# Update the translations after adding or changing strings; runnable from any directory.
#
#   supportclub/translations/update.sh
#
# 1. extracts every msgid (babel.cfg) into supportclub/translations/messages.pot,
# 2. merges it into the English catalog en/LC_MESSAGES/messages.po (new entries come in empty
#    or marked fuzzy; entries whose string is gone from the code are dropped),
# 3. compiles en/LC_MESSAGES/messages.mo (fuzzy and empty entries are left out: German shows),
# 4. lists the msgids that still need an English translation and exits 1 if there are any.
#
# Then translate those in messages.po (and delete the "#, fuzzy" lines), run this script again,
# and commit messages.pot, messages.po and messages.mo. tests/test_i18n.py fails until the
# catalog is complete and compiled.
#
# Environment: PYBABEL=/path/to/pybabel (default: the project's .venv/bin/pybabel, else PATH).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

pybabel="${PYBABEL:-}"
if [[ -z "$pybabel" ]]; then
    if [[ -x "$root/.venv/bin/pybabel" ]]; then
        pybabel="$root/.venv/bin/pybabel"
    elif command -v pybabel >/dev/null 2>&1; then
        pybabel="$(command -v pybabel)"
    else
        echo "pybabel not found: create the venv (./start.sh) or set PYBABEL=..." >&2
        exit 2
    fi
fi
python="$(dirname "$pybabel")/python"
[[ -x "$python" ]] || python="python3"

pot="supportclub/translations/messages.pot"
po="supportclub/translations/en/LC_MESSAGES/messages.po"

# The input dir is "." because babel.cfg's patterns are relative to the project root;
# pybabel skips dot-directories (.venv, .git) by itself.
"$pybabel" -q extract -F babel.cfg -k _l -k lazy_gettext -k N_ -c TRANSLATORS: \
    --project supportclub -o "$pot" .

if [[ -f "$po" ]]; then
    "$pybabel" -q update -i "$pot" -d supportclub/translations -l en \
        --previous --ignore-obsolete
else
    "$pybabel" -q init -i "$pot" -d supportclub/translations -l en
fi

"$pybabel" compile -d supportclub/translations --statistics

# List what still needs translating (empty or fuzzy msgstr).
"$python" - "$po" <<'PY'
import sys

from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as f:
    catalog = read_po(f)
todo = [m for m in catalog if m.id and (not m.string or m.fuzzy)]
if todo:
    print(f"\n{len(todo)} msgid(s) need an English translation in {sys.argv[1]}:")
    for message in todo:
        flag = " (fuzzy)" if message.fuzzy else ""
        print(f"  {message.id!r}{flag}")
    print("Translate them, remove the '#, fuzzy' lines, then run this script again.")
    sys.exit(1)
print(f"All {sum(1 for m in catalog if m.id)} msgids are translated.")
PY

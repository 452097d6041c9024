#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenv that scripts/xml-validate.py runs in,
# under target/xml-venv, with lxml (XSD validation) and saxonche (XSLT 2 for the
# compiled Peppol/EN 16931 Schematron) from PyPI at pinned versions, and prints
# the path of its python. Used by the kumppani-einvoice standards tests.
set -euo pipefail
cd "$(dirname "$0")/.."
lxml_version="6.1.3"
saxonche_version="12.10.1"
venv="target/xml-venv"
stamp="$venv/.kumppani-xml-venv"
want="lxml==${lxml_version} saxonche==${saxonche_version}"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  command -v python3 >/dev/null || { echo "python3 is required (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
  mkdir -p target
  python3 -m venv "$venv" >&2
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
  echo "$want" >"$stamp"
fi
echo "$PWD/$venv/bin/python"

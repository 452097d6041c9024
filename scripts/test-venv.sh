#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenv of the end-to-end tests under
# target/test-venv and prints the path of its python: aiosmtpd (a real SMTP
# server the feedback e-mail test starts on loopback) and jsonschema (the
# Open311 responses are validated against the official schemas, date-times
# checked by rfc3339-validator), pinned.
set -euo pipefail
cd "$(dirname "$0")/.."
want="aiosmtpd==1.4.6 jsonschema==4.26.0 rfc3339-validator==0.1.4"
venv="target/test-venv"
stamp="$venv/.kumppani-test-venv"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  command -v python3 >/dev/null || { echo "python3 is required (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
  mkdir -p target
  python3 -m venv "$venv" >&2
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
  echo "$want" >"$stamp"
fi
echo "$PWD/$venv/bin/python"

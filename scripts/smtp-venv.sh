#!/usr/bin/env bash
# Creates (or reuses) the Python virtualenv with aiosmtpd (a real SMTP server
# from PyPI, pinned) under target/smtp-venv and prints the path of its python.
# The feedback e-mail test starts `python -m aiosmtpd` on loopback with it.
set -euo pipefail
cd "$(dirname "$0")/.."
want="aiosmtpd==1.4.6"
venv="target/smtp-venv"
stamp="$venv/.kumppani-smtp-venv"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  command -v python3 >/dev/null || { echo "python3 is required (Debian: apt-get install python3 python3-venv)" >&2; exit 1; }
  mkdir -p target
  python3 -m venv "$venv" >&2
  # shellcheck disable=SC2086
  "$venv/bin/pip" install --quiet --disable-pip-version-check $want >&2
  echo "$want" >"$stamp"
fi
echo "$PWD/$venv/bin/python"

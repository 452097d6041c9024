#!/usr/bin/env bash
# Runs Schemathesis against the REST API of a running `kumppani dev` at $1
# (e.g. http://127.0.0.1:8080) with a staff token from its dev issuer, bounded
# in time (KUMPPANI_SCHEMATHESIS_SECONDS, default 180); the checks
# (not_a_server_error, positive_data_acceptance) are in scripts/schemathesis.toml. Schemathesis is
# installed from PyPI into a virtualenv under target/ on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:?usage: scripts/schemathesis.sh http://127.0.0.1:8080}"
version="4.32.5"
venv="target/schemathesis-venv"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==${version}"
fi
token="$(curl -fsS "${base}/dev-idp/token" -d grant_type=password -d username=staff -d password=demo \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
seconds="${KUMPPANI_SCHEMATHESIS_SECONDS:-180}"
"$venv/bin/st" --config-file scripts/schemathesis.toml run "${base}/api/v1/openapi.json" \
  --url "${base}" \
  --header "Authorization: Bearer ${token}" \
  --phases examples,coverage,fuzzing \
  --max-examples 25 \
  --max-time "${seconds}" \
  --request-timeout 10 \
  --seed 8 \
  --no-color

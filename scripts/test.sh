#!/usr/bin/env bash
# Runs every check and test of Kumppani: formatting, clippy, the Rust unit and
# end-to-end tests (real PostgreSQL + NATS JetStream), the browser test (real
# Chromium + axe-core against `kumppani dev`), Schemathesis against the same
# instance's REST API (scripts/schemathesis.sh) and the Helm chart lint.
#
# PostgreSQL and NATS: DATABASE_URL / NATS_URL when set (admin URL; each test
# makes its own database and subject prefix), otherwise throwaway servers.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (deny warnings)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (unit + end-to-end against PostgreSQL and NATS)"
cargo test --workspace --locked

step "browser test (Chromium + axe-core against kumppani dev)"
CHROMIUM_PATH="${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}"
if [ -z "$CHROMIUM_PATH" ]; then
  echo "Chromium not found: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
export CHROMIUM_PATH
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
cargo build --locked --quiet
# Every port random (a running `kumppani dev` keeps its fixed ones).
port_http=$((20000 + RANDOM % 20000))
suffix="$(date +%s)$RANDOM"
log="$(mktemp)"
env_db=()
if [ -n "${DATABASE_URL:-}" ]; then
  browser_db="${DATABASE_URL%/*}/kumppani_browser_${suffix}"
  env_db=(DATABASE_URL="$browser_db")
fi
env "${env_db[@]}" KUMPPANI_HTTP_ADDR="127.0.0.1:${port_http}" \
  KUMPPANI_CONTRACTS_GRPC_ADDR="127.0.0.1:$((port_http + 1))" \
  KUMPPANI_PRICING_GRPC_ADDR="127.0.0.1:$((port_http + 2))" \
  KUMPPANI_ORDERING_GRPC_ADDR="127.0.0.1:$((port_http + 3))" \
  KUMPPANI_INVOICING_GRPC_ADDR="127.0.0.1:$((port_http + 4))" \
  KUMPPANI_FEEDBACK_GRPC_ADDR="127.0.0.1:$((port_http + 5))" \
  KUMPPANI_NATS_PREFIX="browser${suffix}" target/debug/kumppani dev >"$log" 2>&1 &
dev_pid=$!
cleanup() {
  kill "$dev_pid" 2>/dev/null || true
  wait "$dev_pid" 2>/dev/null || true
  if [ -n "${browser_db:-}" ] && command -v psql >/dev/null; then
    psql "${DATABASE_URL}" -qc "DROP DATABASE IF EXISTS kumppani_browser_${suffix} WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -f "$log"
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:${port_http}/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$dev_pid" 2>/dev/null; then cat "$log" >&2; echo "kumppani dev exited" >&2; exit 1; fi
  sleep 0.5
done
KUMPPANI_URL="http://127.0.0.1:${port_http}" node --test tests/browser/

step "schemathesis (REST API vs its OpenAPI document, same kumppani dev, a few minutes)"
scripts/schemathesis.sh "http://127.0.0.1:${port_http}"

step "helm chart lint"
scripts/helm-lint.sh

echo
echo "All checks passed."

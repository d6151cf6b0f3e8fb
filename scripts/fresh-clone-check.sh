#!/usr/bin/env bash
# Runs the test command the way CI does on a brand-new machine: a fresh clone of the committed
# main inside root's 0700 home, with an empty service cache, as root.
#   bash scripts/fresh-clone-check.sh     (the first time ~10 minutes: installs and downloads)
# INFLOW_FRESH_CACHE=/var/cache/inflow-stack reuses the default service cache instead of an empty
# one; INFLOW_FRESH_DEPLOY_CACHE=/var/cache/inflow-deploy the chart tools (helm, kubeconform…).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
home="${HOME:-/root}"
work="$(mktemp -d "$home/inflow-fresh.XXXXXX")"
cache="${INFLOW_FRESH_CACHE:-$(mktemp -d /var/tmp/inflow-fresh-cache.XXXXXX)}"
deploy_cache="${INFLOW_FRESH_DEPLOY_CACHE:-$(mktemp -d /var/tmp/inflow-fresh-deploy.XXXXXX)}"
chmod 0755 "$cache"
echo "[fresh] home $home is mode $(stat -c %a "$home"); clone in $work; service cache $cache; deploy tools $deploy_cache"
git clone --quiet "$repo" "$work"
cd "$work"
echo "[fresh] testing commit $(git rev-parse --short HEAD)"
INFLOW_STACK_CACHE="$cache" INFLOW_DEPLOY_CACHE="$deploy_cache" CI=true bash .ci/run </dev/null
echo "[fresh] passed; remove $work, $cache and $deploy_cache when done"

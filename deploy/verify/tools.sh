# Tool acquisition for verify.sh (sourced, not run): every tool is built or unpacked once into
# $CACHE and reused; nothing is written under $HOME. Each get_* prints progress and returns
# non-zero with a reason in $WHY when the tool cannot be had here.

HELM_VERSION=v3.21.3          # the helm.sh/helm/v3 release helm-unittest v1.1.2 is built against
HELM_UNITTEST_VERSION=v1.1.2
KUBECONFORM_VERSION=v0.8.0
KUBERNETES_VALIDATE_VERSION=1.37.0   # PyPI package that ships the Kubernetes JSON schemas
SCHEMA_K8S_VERSION=1.36.0            # schemas the chart is validated against (apiserver below)
KUBERNETES_VERSION=v1.36.3           # kube-apiserver, kube-controller-manager, kube-scheduler
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0

BIN="$CACHE/bin"
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

go_env() {
  export GOPATH="$CACHE/go" GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS=-modcacherw GOTOOLCHAIN=local
}

# go_build NAME MODULE VERSION OUT_DIR PACKAGES... [-- REPLACE_LINES...]
# Builds Go main packages of MODULE@VERSION inside a throw-away wrapper module, so the
# module's own replace directives (which `go install` refuses) are restated here instead.
go_build() {
  local name=$1 module=$2 version=$3 out=$4; shift 4
  local pkgs=() replaces=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do pkgs+=("$1"); shift; done
  [ $# -gt 0 ] && shift && replaces=("$@")
  if [ ! -x "$GO" ]; then WHY="no Go toolchain (looked for go on PATH and /usr/local/go/bin/go)"; return 1; fi
  go_env
  local src="$CACHE/src/$name-$version" started=$SECONDS
  rm -rf "$src" && mkdir -p "$src" "$out"
  {
    echo "module inflow.local/verify/$name"
    echo "go $("$GO" env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"
    for r in "${replaces[@]}"; do echo "replace $r"; done
  } >"$src/go.mod"
  step "building $name $version from Go modules (first time only)"
  local gets=() p
  for p in "${pkgs[@]}"; do gets+=("$p@$version"); done
  if ! (cd "$src" && "$GO" get "${gets[@]}" >"$src/build.log" 2>&1 \
        && "$GO" build -trimpath -ldflags="-s ${GO_LDFLAGS:-}" -o "$out/" "${pkgs[@]}" >>"$src/build.log" 2>&1); then
    WHY="go build of $module@$version failed (see $src/build.log: $(tail -n 1 "$src/build.log"))"
    return 1
  fi
  step "built $name in $((SECONDS - started)) s"
}

have() { [ -x "$BIN/$1-$2" ]; }

# Helm's Makefile stamps its version and the default Kubernetes version (else v1.20) in.
helm_ldflags() {
  local minor; minor=$(sed -nE 's/^\s*k8s.io\/client-go v0\.([0-9]+)\..*/\1/p' "$CACHE/go/mod/helm.sh/helm/v3@$HELM_VERSION/go.mod")
  echo "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
}

get_helm() {
  have helm $HELM_VERSION && return 0
  go_env; (cd /tmp && "$GO" mod download "helm.sh/helm/v3@$HELM_VERSION") || { WHY="helm.sh/helm/v3@$HELM_VERSION not served by the Go module proxy"; return 1; }
  GO_LDFLAGS=$(helm_ldflags) go_build helm helm.sh/helm/v3 $HELM_VERSION "$CACHE/build/helm" helm.sh/helm/v3/cmd/helm || return 1
  install -D "$CACHE/build/helm/helm" "$BIN/helm-$HELM_VERSION"
}

get_kubeconform() {
  have kubeconform $KUBECONFORM_VERSION && return 0
  go_build kubeconform github.com/yannh/kubeconform $KUBECONFORM_VERSION "$CACHE/build/kubeconform" \
    github.com/yannh/kubeconform/cmd/kubeconform || return 1
  install -D "$CACHE/build/kubeconform/kubeconform" "$BIN/kubeconform-$KUBECONFORM_VERSION"
}

# The plugin is a binary plus plugin.yaml in a plugins folder of our own (HELM_PLUGINS).
get_helm_unittest() {
  local dir="$CACHE/helm-plugins/unittest"
  [ -x "$dir/untt-linux-amd64" ] && grep -q "${HELM_UNITTEST_VERSION#v}" "$dir/plugin.yaml" 2>/dev/null && return 0
  go_env; (cd /tmp && "$GO" mod download "helm.sh/helm/v3@$HELM_VERSION") || { WHY="helm.sh/helm/v3@$HELM_VERSION not served"; return 1; }
  GO_LDFLAGS=$(helm_ldflags) go_build helm-unittest github.com/helm-unittest/helm-unittest $HELM_UNITTEST_VERSION "$CACHE/build/helm-unittest" \
    github.com/helm-unittest/helm-unittest/cmd/helm-unittest \
    -- "github.com/vmware-labs/yaml-jsonpath v0.3.2 => github.com/helm-unittest/yaml-jsonpath v0.4.0" || return 1
  rm -rf "$dir" && mkdir -p "$dir"
  install "$CACHE/build/helm-unittest/helm-unittest" "$dir/untt-linux-amd64"
  cat >"$dir/plugin.yaml" <<YAML
name: "unittest"
version: "${HELM_UNITTEST_VERSION#v}"
usage: "unittest for helm charts"
description: "helm-unittest, built from Go modules by deploy/verify/verify.sh"
ignoreFlags: false
command: "\$HELM_PLUGIN_DIR/untt-linux-amd64"
YAML
}

# Kubernetes JSON schemas from the PyPI package kubernetes-validate (its "local-strict" set:
# additionalProperties false everywhere), unpacked once. Its files point at a shared
# _definitions.json by an absolute path; they are rewritten to a file:// URL so kubeconform
# reads them offline.
get_schemas() {
  local root="$CACHE/schemas/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  local set="v$SCHEMA_K8S_VERSION-local-strict"
  SCHEMA_LOCATION="$root/{{.NormalizedKubernetesVersion}}-local{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json"
  [ -f "$root/$set/_definitions.json" ] && return 0
  command -v python3 >/dev/null || { WHY="python3 is needed to fetch kubernetes-validate from PyPI"; return 1; }
  step "fetching Kubernetes JSON schemas (PyPI kubernetes-validate $KUBERNETES_VALIDATE_VERSION, first time only)"
  local tmp; tmp=$(mktemp -d)
  if ! python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" \
       "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >"$tmp/pip.log" 2>&1; then
    WHY="pip download kubernetes-validate failed: $(tail -n 1 "$tmp/pip.log")"; rm -rf "$tmp"; return 1
  fi
  python3 -m zipfile -e "$tmp"/kubernetes_validate-*.whl "$tmp/wheel"
  local from="$tmp/wheel/kubernetes_validate/kubernetes-json-schema/$set"
  [ -d "$from" ] || { WHY="kubernetes-validate $KUBERNETES_VALIDATE_VERSION has no $set schemas"; rm -rf "$tmp"; return 1; }
  rm -rf "$root/$set.tmp" && mkdir -p "$root/$set.tmp"
  local f
  for f in "$from"/*.json; do
    sed "s#\"/api/_definitions.json#\"file://$root/$set/_definitions.json#g" "$f" >"$root/$set.tmp/${f##*/}"
  done
  rm -rf "$root/$set" && mv "$root/$set.tmp" "$root/$set" && rm -rf "$tmp" "$root/wheel"
}

get_kube() {
  local v=$KUBERNETES_VERSION
  have kube-apiserver $v && have kube-controller-manager $v && have kube-scheduler $v && return 0
  local staging=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider
    cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api cri-client
    cri-streaming csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms kube-aggregator
    kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission
    sample-apiserver sample-cli-plugin sample-controller streaming)
  local replaces=() s
  for s in "${staging[@]}"; do replaces+=("k8s.io/$s => k8s.io/$s v0${v#v1}"); done
  local minor=${v#v1.} x pkg ldflags=
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for x in "gitVersion=$v" gitMajor=1 "gitMinor=$minor" gitTreeState=clean; do ldflags+=" -X $pkg.$x"; done
  done
  GO_LDFLAGS=$ldflags go_build kubernetes k8s.io/kubernetes $v "$CACHE/build/kubernetes" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler -- "${replaces[@]}" || return 1
  for s in kube-apiserver kube-controller-manager kube-scheduler; do
    install -D "$CACHE/build/kubernetes/$s" "$BIN/$s-$v"
  done
}

get_etcd() {
  have etcd $ETCD_VERSION && return 0
  go_build etcd go.etcd.io/etcd/server/v3 $ETCD_VERSION "$CACHE/build/etcd" go.etcd.io/etcd/server/v3 || return 1
  install -D "$CACHE/build/etcd/server" "$BIN/etcd-$ETCD_VERSION"
}

get_kwok() {
  have kwok $KWOK_VERSION && return 0
  go_build kwok sigs.k8s.io/kwok $KWOK_VERSION "$CACHE/build/kwok" sigs.k8s.io/kwok/cmd/kwok || return 1
  install -D "$CACHE/build/kwok/kwok" "$BIN/kwok-$KWOK_VERSION"
}

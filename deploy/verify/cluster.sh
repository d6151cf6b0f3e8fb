# The cluster step of verify.sh (sourced): a real Kubernetes control plane on loopback
# (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) with kwok simulating a node
# and its kubelet, then `helm install --wait` of the chart until every role is ready and the
# set-up Job has completed. Everything it starts is stopped on the way out.

CLUSTER_PIDS=()
CLUSTER_DIR=

cluster_stop() {
  local i pid
  # Newest first: kwok and the controllers, then the apiserver, etcd last.
  for ((i = ${#CLUSTER_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${CLUSTER_PIDS[i]}; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  done
  CLUSTER_PIDS=()
  [ -n "$CLUSTER_DIR" ] && [ -z "${INFLOW_VERIFY_KEEP:-}" ] && rm -rf "$CLUSTER_DIR"
  return 0
}

# start NAME COMMAND...: runs it in the background with its log in $CLUSTER_DIR/NAME.log
cluster_start() {
  local name=$1; shift
  "$@" >"$CLUSTER_DIR/$name.log" 2>&1 &
  CLUSTER_PIDS+=($!)
}

cluster_wait() { # cluster_wait WHAT SECONDS COMMAND...
  local what=$1 limit=$2 t=0; shift 2
  until "$@" >/dev/null 2>&1; do
    t=$((t + 1)); if [ $t -ge "$limit" ]; then step "$what: not ready after ${limit} s"; return 1; fi; sleep 1
  done
}

cluster_certs() {
  local d=$CLUSTER_DIR/pki; mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=verify-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout "$d/apiserver.key" -out "$d/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n' >"$d/san.ext"
  openssl x509 -req -in "$d/apiserver.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 1 \
    -extfile "$d/san.ext" -out "$d/apiserver.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=verify-admin" -keyout "$d/admin.key" -out "$d/admin.csr" 2>/dev/null
  openssl x509 -req -in "$d/admin.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 1 -out "$d/admin.crt" 2>/dev/null
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
  cat >"$CLUSTER_DIR/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: verify
  cluster: {server: "https://127.0.0.1:$APISERVER_PORT", certificate-authority: "$d/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$d/admin.crt", client-key: "$d/admin.key"}
contexts:
- name: verify
  context: {cluster: verify, user: admin}
current-context: verify
YAML
}

cluster_main() {
  local t0=$SECONDS WHY= v=$KUBERNETES_VERSION
  command -v openssl >/dev/null || { skip cluster "openssl not installed (apt-get install openssl)"; return 0; }
  command -v kubectl >/dev/null || { skip cluster "kubectl not installed"; return 0; }
  get_helm || { skip cluster "helm: $WHY"; return 0; }
  get_etcd || { skip cluster "etcd: $WHY"; return 0; }
  get_kube || { skip cluster "kube-apiserver: $WHY"; return 0; }
  get_kwok || { skip cluster "kwok: $WHY"; return 0; }
  ETCD_PORT=${INFLOW_VERIFY_ETCD_PORT:-23790}
  APISERVER_PORT=${INFLOW_VERIFY_APISERVER_PORT:-26443}
  mkdir -p "$CACHE/tmp"
  CLUSTER_DIR=$(mktemp -d "$CACHE/tmp/cluster.XXXXXX")
  trap 'cluster_stop' EXIT
  export KUBECONFIG="$CLUSTER_DIR/kubeconfig"
  cluster_certs
  local pki=$CLUSTER_DIR/pki

  step "starting etcd $ETCD_VERSION on 127.0.0.1:$ETCD_PORT"
  cluster_start etcd "$BIN/etcd-$ETCD_VERSION" --data-dir "$CLUSTER_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
    --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 10))" --listen-metrics-urls "" --log-level warn
  cluster_wait etcd 30 curl -fs "http://127.0.0.1:$ETCD_PORT/health" || { fail cluster "etcd did not start (log: $CLUSTER_DIR/etcd.log)"; cluster_stop; return 0; }

  step "starting kube-apiserver $v on 127.0.0.1:$APISERVER_PORT"
  cluster_start kube-apiserver "$BIN/kube-apiserver-$v" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" --service-cluster-ip-range 10.96.0.0/16 \
    --authorization-mode RBAC --endpoint-reconciler-type none --enable-priority-and-fairness=false
  cluster_wait kube-apiserver 120 kubectl get --raw /readyz || { fail cluster "kube-apiserver did not become ready (log: $CLUSTER_DIR/kube-apiserver.log)"; cluster_stop; return 0; }

  step "starting kube-controller-manager, kube-scheduler and kwok $KWOK_VERSION"
  cluster_start kube-controller-manager "$BIN/kube-controller-manager-$v" --kubeconfig "$KUBECONFIG" \
    --authentication-kubeconfig "$KUBECONFIG" --authorization-kubeconfig "$KUBECONFIG" \
    --bind-address 127.0.0.1 --secure-port 20257 --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" --use-service-account-credentials=false
  cluster_start kube-scheduler "$BIN/kube-scheduler-$v" --kubeconfig "$KUBECONFIG" \
    --authentication-kubeconfig "$KUBECONFIG" --authorization-kubeconfig "$KUBECONFIG" \
    --bind-address 127.0.0.1 --secure-port 20259 --leader-elect=false
  cluster_start kwok "$BIN/kwok-$KWOK_VERSION" --kubeconfig "$KUBECONFIG" --config "$ROOT/deploy/verify/kwok-stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr 10.244.0.1/24 --node-ip 10.244.0.1 --node-lease-duration-seconds 40 --server-address 127.0.0.1:20247
  kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "32", memory: 128Gi, pods: "110"}
  capacity: {cpu: "32", memory: 128Gi, pods: "110"}
YAML
  cluster_wait "node kwok-node-0" 60 kubectl wait --for=condition=Ready node/kwok-node-0 --timeout=1s \
    || { fail cluster "the kwok node did not turn Ready (log: $CLUSTER_DIR/kwok.log)"; cluster_stop; return 0; }
  cluster_wait "default ServiceAccount" 60 kubectl -n default get serviceaccount default \
    || { fail cluster "kube-controller-manager is not working (log: $CLUSTER_DIR/kube-controller-manager.log)"; cluster_stop; return 0; }

  step "helm install --wait (chart deploy/helm/inflow, ci/ci-values.yaml)"
  local it0=$SECONDS
  if helm install inflow "$CHART" -n inflow --create-namespace -f "$CHART/ci/ci-values.yaml" \
       --set worker.background.replicas=2 --wait --wait-for-jobs --timeout 5m; then
    step "installed and ready in $((SECONDS - it0)) s"
    kubectl -n inflow get deployments,pods,services,pdb -o wide | sed 's/^/    /'
    local want; want=$(kubectl -n inflow get deployment inflow-dispatch -o jsonpath='{.status.readyReplicas}')
    if [ "$want" != 2 ]; then fail cluster "inflow-dispatch has $want ready replicas, expected 2"; cluster_stop; return 0; fi
    step "helm upgrade --wait (runs the pre-upgrade set-up Job, disables the collector)"
    if ! helm upgrade inflow "$CHART" -n inflow -f "$CHART/ci/ci-values.yaml" --set worker.collector.enabled=false \
         --wait --wait-for-jobs --timeout 5m; then
      fail cluster "helm upgrade"; cluster_stop; return 0
    fi
    if kubectl -n inflow get deployment inflow-collector >/dev/null 2>&1; then
      fail cluster "the collector Deployment is still there after worker.collector.enabled=false"; cluster_stop; return 0
    fi
    helm uninstall inflow -n inflow --wait --timeout 2m >/dev/null
    pass "cluster ($((SECONDS - t0)) s)"
  else
    kubectl -n inflow get all,events 2>&1 | tail -n 40 | sed 's/^/    /'
    fail cluster "helm install --wait did not reach ready (logs in $CLUSTER_DIR; INFLOW_VERIFY_KEEP=1 keeps them)"
  fi
  cluster_stop
  trap - EXIT
}

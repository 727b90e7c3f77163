#!/usr/bin/env bash
# The Minikube flow (docs/decisions.md §4–§6) for charts/todo-app, one step at a time:
#
#   scripts/minikube.sh [--print] images | secret | deploy [HELM_ARGS...] | rollback [REVISION]
#                                | uninstall | url | health
#
# `just STEP` runs the same line (see the justfile); `just` is optional.
# --print shows the exact commands a step would run and runs nothing (no tool or
# cluster checks; the secret step still refuses an unset variable). Secret values
# are never printed or written: kubectl reads them from the environment through a pipe.
#
# Settings (environment, with defaults):
#   APP_DIR=../todo-app                 the app's sources (a checkout of the todo app)
#   BACKEND_CONTEXT=$APP_DIR            build context of the backend: requirements.txt and backend/
#   FRONTEND_CONTEXT=$APP_DIR/frontend  build context of the frontend: package.json and package-lock.json
#   RELEASE=todo-app  NAMESPACE=default  TIMEOUT=5m  CHART=charts/todo-app
set -euo pipefail
cd "$(dirname "$0")/.."

print=no
if [ "${1:-}" = --print ]; then
  print=yes
  shift
fi
step=${1:-}
[ $# -gt 0 ] && shift

CHART=${CHART:-charts/todo-app}
RELEASE=${RELEASE:-todo-app}
NAMESPACE=${NAMESPACE:-default}
TIMEOUT=${TIMEOUT:-5m}
APP_DIR=${APP_DIR:-../todo-app}
BACKEND_CONTEXT=${BACKEND_CONTEXT:-$APP_DIR}
FRONTEND_CONTEXT=${FRONTEND_CONTEXT:-$APP_DIR/frontend}
SECRET_KEYS=(DATABASE_URL OPENAI_API_KEY BETTER_AUTH_SECRET)

die() {
  echo "$step: $*" >&2
  exit 1
}

# Shell-quote one word (plain words stay plain).
q() {
  if [[ $1 =~ ^[A-Za-z0-9_./:=@%+-]+$ ]]; then
    printf '%s' "$1"
  else
    printf '%q' "$1"
  fi
}

# One command: printed with --print, else run in this shell (so that
# `eval "$(minikube docker-env)"` reaches the builds after it).
run() {
  if [ "$print" = yes ]; then
    printf '%s\n' "$1"
  else
    eval "$1"
  fi
}

# The tools a step needs, and a running cluster: one line when not.
need() {
  [ "$print" = yes ] && return 0
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed (not found on PATH); see README, \"Minikube\""
  done
}
cluster_up() {
  [ "$print" = yes ] && return 0
  minikube status >/dev/null 2>&1 || die "the Minikube cluster is not running (start it with: minikube start)"
}

# A scalar of values.yaml at SECTION.KEY.LEAF (block style, as dockhand writes it).
value() {
  awk -v s="$1" -v k="$2" -v leaf="$3" '
    /^[^ #]/ { in_s = (index($0, s ":") == 1); in_k = 0; next }
    in_s && /^  [^ ]/ { in_k = (index($0, "  " k ":") == 1); next }
    in_s && in_k && index($0, "    " leaf ":") == 1 {
      v = substr($0, length("    " leaf ":") + 1)
      sub(/^[ ]+/, "", v); sub(/[ ]+#.*$/, "", v); gsub(/^"|"$/, "", v)
      print v; exit
    }' "$CHART/values.yaml"
}
must_value() {
  local v
  v=$(value "$@")
  [ -n "$v" ] || die "$CHART/values.yaml has no $1.$2.$3"
  printf '%s' "$v"
}

case "$step" in
images)
  need minikube docker
  cluster_up
  backend_image="$(must_value backend image repository):$(must_value backend image tag)"
  frontend_image="$(must_value frontend image repository):$(must_value frontend image tag)"
  if [ "$print" = no ]; then
    [ -f "$BACKEND_CONTEXT/requirements.txt" ] && [ -d "$BACKEND_CONTEXT/backend" ] ||
      die "backend sources not found: $BACKEND_CONTEXT needs requirements.txt and backend/ (set APP_DIR or BACKEND_CONTEXT)"
    [ -f "$FRONTEND_CONTEXT/package.json" ] && [ -f "$FRONTEND_CONTEXT/package-lock.json" ] ||
      die "frontend sources not found: $FRONTEND_CONTEXT needs package.json and package-lock.json (set APP_DIR or FRONTEND_CONTEXT)"
  fi
  run 'eval "$(minikube docker-env)"'
  run "DOCKER_BUILDKIT=1 docker build -t $(q "$backend_image") -f docker/backend/Dockerfile $(q "$BACKEND_CONTEXT")"
  run "DOCKER_BUILDKIT=1 docker build -t $(q "$frontend_image") -f docker/frontend/Dockerfile $(q "$FRONTEND_CONTEXT")"
  ;;
secret)
  need minikube kubectl
  cluster_up
  for key in "${SECRET_KEYS[@]}"; do
    [ -n "${!key:-}" ] || die "$key is not set (export it first; its value is never printed or written)"
  done
  name=$(must_value backend secret name)
  pairs=""
  for key in "${SECRET_KEYS[@]}"; do
    pairs+=" $key \"\$$key\""
  done
  # Created from the environment through a pipe, applied so that a re-run replaces it.
  run "kubectl create secret generic $(q "$name") --namespace $(q "$NAMESPACE") --from-env-file=<(printf '%s=%s\\n'$pairs) --dry-run=client -o yaml | kubectl apply --namespace $(q "$NAMESPACE") -f -"
  ;;
deploy)
  need minikube kubectl helm
  cluster_up
  name=$(must_value backend secret name)
  if [ "$print" = no ]; then
    kubectl get secret "$name" --namespace "$NAMESPACE" >/dev/null 2>&1 ||
      die "the Secret $name does not exist in namespace $NAMESPACE: run \`just secret\` (scripts/minikube.sh secret) first"
  fi
  extra=""
  for a in "$@"; do
    extra+=" $(q "$a")"
  done
  run "helm upgrade --install $(q "$RELEASE") $(q "$CHART") --namespace $(q "$NAMESPACE") --wait --timeout $(q "$TIMEOUT")$extra"
  ;;
rollback)
  need minikube kubectl helm
  cluster_up
  revision=${1:-}
  if [ -n "$revision" ] && ! [[ $revision =~ ^[1-9][0-9]*$ ]]; then
    die "REVISION must be a revision number (see: helm history $RELEASE), not \"$revision\""
  fi
  run "helm rollback $(q "$RELEASE")${revision:+ $revision} --namespace $(q "$NAMESPACE") --wait --timeout $(q "$TIMEOUT")"
  ;;
uninstall)
  need minikube kubectl helm
  cluster_up
  run "helm uninstall $(q "$RELEASE") --namespace $(q "$NAMESPACE") --wait --timeout $(q "$TIMEOUT")"
  ;;
url)
  need minikube kubectl
  cluster_up
  run "minikube service todo-frontend --namespace $(q "$NAMESPACE") --url"
  ;;
health)
  need minikube kubectl
  cluster_up
  if command -v dockhand >/dev/null 2>&1; then
    run "dockhand health"
  else
    run "cargo run --release --locked -- health"
  fi
  ;;
*)
  echo "usage: scripts/minikube.sh [--print] images|secret|deploy [HELM_ARGS...]|rollback [REVISION]|uninstall|url|health" >&2
  exit 2
  ;;
esac

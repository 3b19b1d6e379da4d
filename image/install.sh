#!/bin/sh
# The operator image's install steps, in one place: the Dockerfile's builder stage runs this script, and CI
# runs the very same script into a fresh venv (tests/install/matrix.py), then starts that venv's
# `training-operator run` against the local cluster and reconciles a job of each installed kind.
#
#   image/install.sh VENV [CONTROLLERS]
#
# CONTROLLERS: comma-separated framework extras (tf, pytorch, mxnet, xgboost, mpi, paddle, jax), or `all` (the default) for
# every controller. The image never carries the local cluster (the `local` extra). $PYTHON picks the
# interpreter (default python3).
set -eu

venv=${1:?usage: image/install.sh VENV [CONTROLLERS]}
controllers=${2:-all}
if [ "$controllers" = all ]; then
  controllers=tf,pytorch,mxnet,xgboost,mpi,paddle,jax
fi
for extra in $(echo "$controllers" | tr ',' ' '); do
  case $extra in
    tf | pytorch | mxnet | xgboost | mpi | paddle | jax) ;;
    *) echo "unknown controller '$extra': use tf, pytorch, mxnet, xgboost, mpi, paddle, jax or all" >&2; exit 2 ;;
  esac
done
repo=$(cd "$(dirname "$0")/.." && pwd)

"${PYTHON:-python3}" -m venv "$venv"
# --no-cache-dir: pip caches the wheels it builds for our packages' file:// references by path, so a cached
# build of an older core would be reused for a newer tree (and an image has no use for the cache)
"$venv/bin/pip" install --disable-pip-version-check --no-cache-dir "$repo/packages/unified-operator[$controllers]"
"$venv/bin/training-operator" version

#!/usr/bin/env bash
# Create a virtual environment (.venv, or $VENV) and install ioa-gym with its test extra.
#
# torch: with an NVIDIA GPU (nvidia-smi works) pip resolves torch normally; without one we ask for
# torch==2.13.0, which on CPU-only machines whose pip finds a local CPU wheel (as on our CI) installs
# in seconds instead of downloading a multi-GB CUDA build. Override with TORCH_SPEC, e.g.
#   TORCH_SPEC="torch --index-url https://download.pytorch.org/whl/cpu" bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
EXTRAS=${EXTRAS:-test}

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)

if [ -z "${TORCH_SPEC:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    TORCH_SPEC="torch"
  else
    TORCH_SPEC="torch==2.13.0"
  fi
fi
if ! "$VENV/bin/python" -c "import torch" >/dev/null 2>&1; then
  echo "setup: installing $TORCH_SPEC"
  # shellcheck disable=SC2086  # TORCH_SPEC may carry pip options on purpose
  "${PIP[@]}" $TORCH_SPEC
fi
echo "setup: installing ioa-gym[$EXTRAS] (editable)"
"${PIP[@]}" -e ".[$EXTRAS]"
"$VENV/bin/python" -c "import ioa_gym, agents, torch; print('setup: ok, torch', torch.__version__)"

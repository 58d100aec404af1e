#!/usr/bin/env bash
# Install everything a fresh Debian/Ubuntu machine lacks: FFmpeg + libsndfile (apt), PyTorch 2.13 when
# torch is missing (torchcodec 0.13 needs exactly it; the build pip's configuration finds: CPU only
# where pip is set up for it, else PyPI's CUDA build), and this package with its extras.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v ffmpeg >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends ffmpeg libsndfile1 >/dev/null
fi

PIP="python3 -m pip install -q --disable-pip-version-check"
python3 -c "import torch" 2>/dev/null || $PIP "torch==2.13.0"
# compat: a .pth puts the checkout on sys.path, so `import bimotion` finds this package even from a
# folder holding a prepared dataset named `bimotion` (setuptools' default editable finder comes after
# the path finder, and that folder would win as a namespace package).
$PIP -e ".[test]" --config-settings editable_mode=compat

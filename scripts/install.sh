#!/usr/bin/env bash
# One command that installs everything on Debian 12 / Ubuntu 22.04+: system packages (OpenCV, its
# Haar cascades, a C++ toolchain), the npm dependencies (building @u4/opencv4nodejs against the
# system OpenCV, and rclnodejs when a ROS 2 environment is sourced), the TypeScript build, and the
# models (found in ../shared/models, FACE_CLASSIFICATION_MODELS, or downloaded to the user cache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n==> %s\n' "$*"; }

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install.sh: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none)); see README.md" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if command -v apt-get >/dev/null; then
  say "system packages (OpenCV 4, Haar cascades, build tools)"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    libopencv-dev opencv-data build-essential python3 pkg-config >/dev/null
else
  echo "install.sh: no apt-get; install OpenCV 4 development files and opencv-data yourself, then re-run" >&2
fi

# @u4/opencv4nodejs must build against the system OpenCV, never download and build its own.
MULTIARCH="$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR="${OPENCV_INCLUDE_DIR:-/usr/include/opencv4}"
export OPENCV_LIB_DIR="${OPENCV_LIB_DIR:-/usr/lib/$MULTIARCH}"
export OPENCV_BIN_DIR="${OPENCV_BIN_DIR:-/usr/bin}"
# onnxruntime-node ships its CPU build in the package; its install step would fetch a CUDA provider
# (CUDA users: ONNXRUNTIME_NODE_INSTALL=cuda12 before running this script).
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
# rclnodejs (optional) builds only with a sourced ROS 2; its build asks questions unless told yes.
export npm_config_yes=true
if [ -n "${ROS_DISTRO:-}" ]; then
  say "ROS 2 ${ROS_DISTRO} is sourced: rclnodejs will be built"
else
  say "no ROS 2 sourced: skipping rclnodejs (the library, CLI and tests work without it)"
fi

say "npm dependencies (builds the OpenCV binding: a few minutes)"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

# better-sqlite3 reads sqlite3 (.db3) bags. npm 11 holds back dependencies' install scripts unless
# allowed, and without internet there is no prebuilt binary: build it from its bundled sources
# (about a minute) when it does not load.
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" >/dev/null 2>&1; then
  say "building better-sqlite3 (sqlite3 bags) from source"
  npm rebuild better-sqlite3 --foreground-scripts
  node -e "new (require('better-sqlite3'))(':memory:').close()" || { echo "install.sh: better-sqlite3 does not load after the rebuild" >&2; exit 1; }
fi

say "TypeScript build"
npm run build --silent

say "models"
if node dist/src/cli/main.js models --fetch --log-level error >/tmp/face-classification-models.json; then
  echo "all default models found (sha256 checked); see: npx face-classification models"
else
  echo "install.sh: a default model is missing; see /tmp/face-classification-models.json" >&2
  exit 1
fi
say "done. Try: npx face-classification detect <photo> --out annotated/"

#!/usr/bin/env bash
# Installs the Debian packages soma needs to build, test and run. Idempotent and quiet.
#   scripts/setup.sh          build + tests + the main job
#   scripts/setup.sh --bench  also PyTorch, scikit-learn and XGBoost, for the side-by-side benchmarks
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config          # toolchain
  libopenblas-openmp-dev                    # BLAS + LAPACK (OpenMP threading)
  libfmt-dev                                # string formatting for error messages
  libcli11-dev                              # command-line parsing of the soma program
  nlohmann-json3-dev                        # safetensors headers, JSON configs and metrics logs
  zlib1g-dev                                # gzip-compressed IDX files
  libpng-dev                                # PNG images for prediction
  dataset-fashion-mnist                     # the main job's data set
  bible-kjv bible-kjv-text                  # the KJV Bible text (`bible -f`) for the language models
  libgtest-dev                              # tests
  libbenchmark-dev                          # micro-benchmarks
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-torch python3-sklearn python3-xgboost python3-numpy libtorch-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all packages present"

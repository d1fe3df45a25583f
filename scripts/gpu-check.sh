#!/usr/bin/env bash
# The CUDA-layer check (pytest -m gpu tests/runtime/cuda) on a machine with an NVIDIA GPU and no network.
#
#   scripts/gpu-check.sh prepare [--python 3.X] [--cuda 12|13]
#       here, with the package registries: gpu-wheelhouse/ with cuda-bindings, numpy, pytest and the
#       project itself (built without its dependencies), at most 60 MiB; nothing else.
#   scripts/gpu-check.sh run
#       on the GPU machine (with this checkout and gpu-wheelhouse/): a venv from the wheelhouse alone
#       (pip --no-index), then pytest -m gpu tests/runtime/cuda. Exit 0: passed on a GPU; 1: a test failed or
#       the venv could not be made; 3: no CUDA GPU was visible (the tests ran and skipped).
#   scripts/gpu-check.sh
#       both, on a GPU machine that reaches the registries.
#
# --python: the GPU machine's Python (default: this one's); --cuda 12 (default) takes cuda-bindings
# 12.9, which runs on any CUDA 12 or 13 driver; --cuda 13 needs a CUDA 13 driver (580+).
# GPU_WHEELHOUSE, GPU_VENV and GPU_WHEELHOUSE_LIMIT_MIB override the folder names and the 60 MiB limit.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
WHEELHOUSE=${GPU_WHEELHOUSE:-gpu-wheelhouse}
VENV=${GPU_VENV:-.gpu-venv}
LIMIT_MIB=${GPU_WHEELHOUSE_LIMIT_MIB:-60}

fail() { echo "gpu-check: error: $*" >&2; exit 1; }

prepare() {
    local target_python="" cuda=12
    while [ $# -gt 0 ]; do
        case "$1" in
            --python) target_python="$2"; shift 2 ;;
            --cuda) cuda="$2"; shift 2 ;;
            *) fail "unknown option '$1'; expected --python 3.X or --cuda 12|13; see the top of $0" ;;
        esac
    done
    case "$cuda" in
        12) bindings="cuda-bindings>=12.8,<13" ;;
        13) bindings="cuda-bindings>=13,<14" ;;
        *) fail "--cuda $cuda; expected 12 or 13 (the GPU driver's CUDA major version); e.g. --cuda 12" ;;
    esac
    local minor
    minor=${target_python:-$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')}
    local -a target=() extra=()
    if [ -n "$target_python" ]; then
        target=(--python-version "$target_python" --implementation cp --platform manylinux_2_28_x86_64
                --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
    fi
    if [ "${minor#3.}" -lt 11 ]; then
        extra=(tomli)  # cleftedge reads TOML with tomllib from 3.11, tomli before
    fi
    local tmp="$WHEELHOUSE.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    "$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$tmp" . \
        || fail "could not build the project's wheel; expected a checkout with pyproject.toml; run from the repository"
    "$PYTHON" -m pip download --quiet --only-binary=:all: --dest "$tmp" "${target[@]}" \
        "$bindings" "numpy>=1.24,<2.5" "pytest>=8" "${extra[@]}" \
        || { rm -rf "$tmp"; fail "could not download the wheels; expected the package registries; run prepare where pip reaches them"; }
    local bytes
    bytes=$(du -sb "$tmp" | cut -f1)
    if [ "$bytes" -gt $((LIMIT_MIB * 1024 * 1024)) ]; then
        rm -rf "$tmp"
        fail "the wheelhouse would be $((bytes / 1048576)) MiB; expected at most $LIMIT_MIB MiB; it holds only cuda-bindings, numpy, pytest and the project: check what pulled in more"
    fi
    rm -rf "$WHEELHOUSE"
    mv "$tmp" "$WHEELHOUSE"  # whole or not at all
    echo "gpu-check: $WHEELHOUSE: $(ls "$WHEELHOUSE" | wc -l) wheels, $((bytes / 1048576)) MiB (limit $LIMIT_MIB MiB), Python $minor, $bindings"
    ls "$WHEELHOUSE"
}

run() {
    export PIP_CONFIG_FILE=/dev/null  # the wheelhouse alone: no index, no find-links from a pip.conf
    [ -d "$WHEELHOUSE" ] || fail "no $WHEELHOUSE/; expected the wheelhouse from 'scripts/gpu-check.sh prepare'; copy it here first"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || fail "could not make a venv with $PYTHON; expected python3 with the venv module"
    "$VENV/bin/pip" install --quiet --no-index --find-links "$WHEELHOUSE" cuda-bindings numpy pytest \
        || fail "the wheelhouse lacks a wheel for this Python; expected one prepared with --python $("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    "$VENV/bin/pip" install --quiet --no-index --no-deps --find-links "$WHEELHOUSE" cleftedge
    echo "gpu-check: $(uname -m), $("$VENV/bin/python" --version), cuda-bindings $("$VENV/bin/python" -c 'import cuda.bindings as b; print(b.__version__)')"
    if command -v nvidia-smi >/dev/null 2>&1; then
        nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader || true
    fi
    local gpus
    gpus=$("$VENV/bin/python" -c 'from cuda.bindings import runtime as r
err, n = r.cudaGetDeviceCount()
print(n if err == r.cudaError_t.cudaSuccess else 0)')
    # the installed wheel is what runs: the pytest entry point does not put this checkout on sys.path
    local rc=0
    "$VENV/bin/pytest" -m gpu tests/runtime/cuda -p no:cacheprovider -rs -v || rc=$?
    if [ "$rc" -ne 0 ]; then
        exit 1
    fi
    if [ "$gpus" = "0" ]; then
        echo "gpu-check: no CUDA GPU was visible: the tests above skipped; nothing was checked on a GPU" >&2
        exit 3
    fi
    echo "gpu-check: passed on $gpus CUDA GPU(s)"
}

case "${1:-all}" in
    prepare) shift; prepare "$@" ;;
    run) shift; run "$@" ;;
    all) prepare; run ;;
    *) fail "unknown command '$1'; expected prepare, run or nothing (both); see the top of $0" ;;
esac

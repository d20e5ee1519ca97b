#!/usr/bin/env bash
# The whole leave-one-glacier-out sweep on one GPU, as one command, every figure in one log:
# each recipe (model/folds.py RECIPES; the first is the baseline) trained with Jakobshavn,
# Kangerlussuaq and Sverdrup held out in turn and on all three glaciers, all networks side by
# side; then each fold scored on its held-out glacier through the plugin's pipeline, the fold
# tables with the pooled figures, and each recipe's verdict against the baseline.
#     [PYTHON=python3] [PARALLEL=16] [SCORE_WORKERS=8] model/train_gpu.sh DATA_DIR OUT_DIR [RECIPE ...] [-- folds.py options]
# Recipes default to "v1.1.0 single upright" (16 networks of about 1,950 steps; 1.1.0's eight
# ran at ~8.6 steps/s each on an H200). The log is OUT_DIR/sweep.log; networks are reused when
# the sweep is run again. A CPU smoke test of the whole chain, one fold, a few steps:
#     model/train_gpu.sh DATA OUT v1.1.0 single -- --folds jakobshavn --train-args="--steps 4"
set -euo pipefail
data=$1 out=$2
shift 2
recipes=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do recipes+=("$1"); shift; done
[ $# -gt 0 ] && shift
[ ${#recipes[@]} -gt 0 ] || recipes=(v1.1.0 single upright)
mkdir -p "$out"
"${PYTHON:-python3}" "$(dirname "$0")/folds.py" sweep "${recipes[@]}" --all --data "$data" \
    --out "$out" --parallel "${PARALLEL:-16}" --threads 1 \
    --score-workers "${SCORE_WORKERS:-8}" "$@" 2>&1 | tee "$out/sweep.log"

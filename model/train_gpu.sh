#!/usr/bin/env bash
# The training runs behind the shipped model, side by side on one GPU: four seeds with
# Jakobshavn held out (to measure the recipe, single runs against ensembles) and the same
# four seeds on all three glaciers (the shipped candidates). Each run writes one checkpoint:
# the final EMA weights plus a snapshot at half the budget, float16 (train.py --half).
#     [PYTHON=python3] [VAL_GLACIER=jakobshavn] model/train_gpu.sh DATA_DIR OUT_DIR MINUTES [train.py options]
# VAL_GLACIER=kangerlussuaq (or sverdrup) holds out another glacier, to check the recipe's
# choices on a second unseen glacier.
set -u
data=$1 out=$2 minutes=$3
shift 3
logs=$(mktemp -d)
common=(--data "$data" --minutes "$minutes" --batch 16 --variants 12 --ema 0.998
        --val-every 30 --snapshots 0.5 --half --save-every 60 --threads 1 "$@")
limit=$("${PYTHON:-python3}" -c "print(int($minutes * 60 + 240))")
for seed in 0 1 2 3; do
    for split in "${VAL_GLACIER:-jakobshavn}" none; do
        name=$([ "$split" = none ] && echo all || echo val)_s$seed
        timeout "$limit" "${PYTHON:-python3}" model/train.py "${common[@]}" --val-glacier "$split" \
            --seed "$seed" --out "$out/$name.pt" >"$logs/$name.log" 2>&1 &
    done
done
wait
rm -f "$out"/*.tmp
for log in "$logs"/*.log; do
    echo "== $(basename "$log")"
    grep -E "^(train|done|FINAL)|Error" "$log" | cut -c1-400
    grep "^VAL" "$log" | tail -n 2
done

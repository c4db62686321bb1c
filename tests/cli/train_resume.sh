#!/usr/bin/env bash
# End to end: `soma train` for 2 epochs, and for 1 epoch then --resume to 2, must log identical
# metrics; eval and predict must run on the checkpoint; a bad option must fail cleanly.
# Skips (exit 77) when Fashion-MNIST is not installed.
set -euo pipefail
soma="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
common=(--model mlp-tiny --optimizer sgd --lr 0.1 --batch-size 256 --seed 3 --threads 2)
if ! "$soma" train "${common[@]}" --epochs 2 --out "$dir/straight" >"$dir/log1" 2>&1; then
  if grep -q "cannot find" "$dir/log1"; then echo "Fashion-MNIST not installed"; exit 77; fi
  cat "$dir/log1"; exit 1
fi
"$soma" train "${common[@]}" --epochs 1 --out "$dir/resumed" >/dev/null 2>&1
"$soma" train "${common[@]}" --epochs 2 --resume --out "$dir/resumed" >/dev/null 2>&1
diff "$dir/straight/metrics.jsonl" "$dir/resumed/metrics.jsonl"
for f in best.ckpt last.ckpt model.safetensors learning_curve.svg; do test -s "$dir/straight/$f"; done
"$soma" eval --checkpoint "$dir/straight/best.ckpt" | grep -q "test accuracy"
"$soma" summary --model mlp-tiny | grep -q "Total params: 13,002"
# --validation 0: the whole training split, no validation metrics, no best.ckpt.
"$soma" train "${common[@]}" --epochs 1 --validation 0 --out "$dir/all" 2>"$dir/log3" >/dev/null
grep -q "60000 train / 0 validation" "$dir/log3"
if grep -q val_loss "$dir/all/metrics.jsonl" || test -e "$dir/all/best.ckpt"; then exit 1; fi
if "$soma" train --validation 1 --out "$dir/bad" 2>"$dir/err"; then exit 1; fi
grep -q "validation must be in \[0, 1), got 1" "$dir/err"
if "$soma" train --model nope --out "$dir/bad" 2>"$dir/err"; then exit 1; fi
grep -q "unknown model 'nope'" "$dir/err"
echo "train/resume/eval/summary OK"

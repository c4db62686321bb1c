#!/usr/bin/env bash
# Interrupting `soma train` loses nothing and duplicates nothing: a run stopped by Ctrl-C
# mid-epoch, or killed at any point of the saves at an epoch's end, then resumed, leaves every
# output byte-identical to an uninterrupted run's; resume repairs a damaged log and removes stale
# temporary files; --lr applies on resume; unwritable outputs and a diverged validation loss are
# errors. The kills and interrupts are placed by the test hooks (tools/soma/run_files.h):
# SOMA_TEST_INTERRUPT_AT=STEP raises SIGINT after that step, SOMA_TEST_KILL_AT=POINT:STEP SIGKILL.
# The image part skips (exit 77) when Fashion-MNIST is not installed.
set -euo pipefail
soma="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# Every output of run $1 equals the straight run's ($2).
same_outputs() {
  for f in metrics.jsonl learning_curve.svg last.ckpt best.ckpt model.safetensors; do
    cmp -s "$2/$f" "$1/$f" || fail "$1/$f differs from the uninterrupted run's"
  done
}
expect_exit() {  # expect_exit CODE command...: the command must exit with CODE
  local code=$1; shift
  set +e; "$@" >"$dir/out" 2>&1; local rc=$?; set -e
  [[ $rc == "$code" ]] || { cat "$dir/out"; fail "exit $rc, expected $code: $*"; }
}

# ---- language model (tiny GPT): evaluations stay at multiples of --eval-every --------------
for i in $(seq 200); do echo "In the beginning God created the heaven and the earth."; done >"$dir/text.txt"
lm=(--model gpt --data "$dir/text.txt" --layers 1 --heads 2 --width 16 --context 16 --batch-size 4
    --eval-every 10 --seed 1 --threads 2)
"$soma" train "${lm[@]}" --steps 30 --out "$dir/lm" >/dev/null 2>&1
SOMA_TEST_INTERRUPT_AT=15 expect_exit 130 "$soma" train "${lm[@]}" --steps 30 --out "$dir/lm_int"
grep -q "interrupted: saved" "$dir/out"
"$soma" train "${lm[@]}" --steps 30 --out "$dir/lm_int" --resume >/dev/null 2>&1
same_outputs "$dir/lm_int" "$dir/lm"
for point in before-best before-last before-log; do
  SOMA_TEST_KILL_AT=$point:20 expect_exit 137 "$soma" train "${lm[@]}" --steps 30 --out "$dir/lm_$point"
  "$soma" train "${lm[@]}" --steps 30 --out "$dir/lm_$point" --resume >/dev/null 2>&1
  same_outputs "$dir/lm_$point" "$dir/lm"
done
# BERT (dropout and masks draw random numbers): Ctrl-C between evaluations, then --resume.
bert=(--model bert --data "$dir/text.txt" --layers 1 --heads 2 --width 16 --context 18 --batch-size 4
      --eval-every 10 --steps 20 --seed 1 --threads 2)
"$soma" train "${bert[@]}" --out "$dir/bert" >/dev/null 2>&1
SOMA_TEST_INTERRUPT_AT=7 expect_exit 130 "$soma" train "${bert[@]}" --out "$dir/bert_int"
"$soma" train "${bert[@]}" --out "$dir/bert_int" --resume >/dev/null 2>&1
same_outputs "$dir/bert_int" "$dir/bert"

# A diverged validation loss stops the run; last.ckpt and the log keep the last good evaluation
# (one step more, evaluated at once: the training loss of that step was still finite).
cp "$dir/lm_int/last.ckpt" "$dir/lm_good.ckpt"
expect_exit 1 "$soma" train "${lm[@]}" --steps 31 --out "$dir/lm_int" --resume --lr 1e30
grep -q "validation loss became .* at step 31" "$dir/out" || { cat "$dir/out"; fail "no validation-loss error"; }
cmp -s "$dir/lm_good.ckpt" "$dir/lm_int/last.ckpt" || fail "a diverged gpt was saved"
[[ $(wc -l <"$dir/lm_int/metrics.jsonl") == 3 ]] || fail "a diverged evaluation was logged"

# ---- image classifier ----------------------------------------------------------------------
# The learning rate is given to fresh runs only: a resumed run takes the checkpoint's.
common=(--model mlp-tiny --optimizer sgd --batch-size 512 --seed 3 --threads 2)
if ! "$soma" train "${common[@]}" --lr 0.1 --epochs 3 --out "$dir/straight" >"$dir/log" 2>&1; then
  if grep -q "cannot find" "$dir/log"; then echo "Fashion-MNIST not installed"; exit 77; fi
  cat "$dir/log"; exit 1
fi
# Ctrl-C in the middle of epoch 2 (108 batches an epoch), then --resume.
SOMA_TEST_INTERRUPT_AT=150 expect_exit 130 "$soma" train "${common[@]}" --lr 0.1 --epochs 3 --out "$dir/int"
grep -q "epoch 2, batch 42 of 108" "$dir/out" || { cat "$dir/out"; fail "interrupt message"; }
"$soma" train "${common[@]}" --epochs 3 --out "$dir/int" --resume >/dev/null 2>&1
same_outputs "$dir/int" "$dir/straight"
# SIGKILL at each point of the saves at the end of epoch 2; temporary files of dead writers go.
for point in before-best before-last before-log; do
  SOMA_TEST_KILL_AT=$point:216 expect_exit 137 "$soma" train "${common[@]}" --lr 0.1 --epochs 3 --out "$dir/$point"
  touch "$dir/$point/.best.ckpt.tmp.99999999.0" "$dir/$point/.last.ckpt.tmp.99999999.3" \
        "$dir/$point/.metrics.jsonl.tmp.99999999" "$dir/$point/tokenizer.json.tmp"
  "$soma" train "${common[@]}" --epochs 3 --out "$dir/$point" --resume >/dev/null 2>&1
  same_outputs "$dir/$point" "$dir/straight"
  [[ -z $(find "$dir/$point" -name '*.tmp*') ]] || fail "temporary files left in $dir/$point"
done

# The log is rewritten from last.ckpt on resume: a damaged line is repaired.
run="$dir/before-log"
head -c 30 "$dir/straight/metrics.jsonl" >"$run/metrics.jsonl"
"$soma" train "${common[@]}" --epochs 3 --out "$run" --resume >/dev/null 2>&1
cmp -s "$run/metrics.jsonl" "$dir/straight/metrics.jsonl" || fail "damaged metrics.jsonl not repaired"
# Damaged checkpoint fields are errors naming the file, the field and the line.
cp "$run/last.ckpt" "$dir/saved.ckpt"
sed -i 's/\\"best_accuracy\\":\\"0/\\"best_accuracy\\":\\"x/' "$run/last.ckpt"
expect_exit 1 "$soma" train "${common[@]}" --epochs 3 --out "$run" --resume
grep -q "last.ckpt': metadata 'best_accuracy' must be a number, got 'x" "$dir/out" || { cat "$dir/out"; fail "best_accuracy error"; }
cp "$dir/saved.ckpt" "$run/last.ckpt"
sed -i 's/train_loss/train_lozz/' "$run/last.ckpt"
expect_exit 1 "$soma" train "${common[@]}" --epochs 3 --out "$run" --resume
grep -q "(its metrics): line 1: \"train_loss\" is missing (expected a number)" "$dir/out" || { cat "$dir/out"; fail "record error"; }

# A best.ckpt that is not the one last.ckpt names is reported.
cp "$dir/saved.ckpt" "$run/last.ckpt"
"$soma" train "${common[@]}" --lr 0.1 --epochs 1 --out "$dir/one" >/dev/null 2>&1
cp "$dir/one/best.ckpt" "$run/best.ckpt"
"$soma" train "${common[@]}" --epochs 3 --out "$run" --resume >"$dir/out" 2>&1
grep -q "best.ckpt holds step 108, but last.ckpt says step 324 was the best" "$dir/out" || { cat "$dir/out"; fail "stale best"; }

# --resume --lr sets the learning rate: with 0, epoch 2 changes nothing.
"$soma" train "${common[@]}" --epochs 2 --out "$dir/one" --resume --lr 0 >"$dir/out" 2>&1
grep -q "learning rate 0 from --lr (the checkpoint's was 0.1)" "$dir/out" || { cat "$dir/out"; fail "--lr message"; }
"$soma" train "${common[@]}" --lr 0.1 --epochs 1 --out "$dir/one_again" >/dev/null 2>&1
cmp -s "$dir/one/model.safetensors" "$dir/one_again/model.safetensors" || fail "--resume --lr 0 still trained"

# A diverged validation loss stops the run and keeps last.ckpt (one batch an epoch, so the
# training loss is still finite when the validation loss is not).
tiny=(--model mlp-tiny --optimizer sgd --batch-size 1024 --validation 0.99 --seed 3 --threads 2)
"$soma" train "${tiny[@]}" --lr 0.01 --epochs 1 --out "$dir/nan" >/dev/null 2>&1
cp "$dir/nan/last.ckpt" "$dir/good.ckpt"
expect_exit 1 "$soma" train "${tiny[@]}" --epochs 2 --out "$dir/nan" --resume --lr 1e300
grep -q "validation loss became .* after epoch 2 (step 2)" "$dir/out" || { cat "$dir/out"; fail "no validation-loss error"; }
cmp -s "$dir/good.ckpt" "$dir/nan/last.ckpt" || fail "diverged weights were saved"

# Outputs that cannot be written are errors: a directory in their place; a symlink to a full
# device is replaced by the file.
mkdir -p "$dir/dirlog/metrics.jsonl" "$dir/dircurve/learning_curve.svg"
expect_exit 1 "$soma" train "${tiny[@]}" --lr 0.01 --epochs 1 --out "$dir/dirlog"
grep -q "cannot write .*metrics.jsonl" "$dir/out" || { cat "$dir/out"; fail "metrics.jsonl as a directory"; }
expect_exit 1 "$soma" train "${tiny[@]}" --lr 0.01 --epochs 1 --out "$dir/dircurve"
grep -q "cannot write .*learning_curve.svg" "$dir/out" || { cat "$dir/out"; fail "learning_curve.svg as a directory"; }
mkdir -p "$dir/full" && ln -s /dev/full "$dir/full/metrics.jsonl"
"$soma" train "${tiny[@]}" --lr 0.01 --epochs 1 --out "$dir/full" >/dev/null 2>&1
[[ ! -L "$dir/full/metrics.jsonl" ]] || fail "metrics.jsonl -> /dev/full was written to (reading it would never end)"
[[ -f "$dir/full/metrics.jsonl" && $(wc -l <"$dir/full/metrics.jsonl") == 1 ]] || fail "metrics.jsonl -> /dev/full"
echo "resume integrity OK"

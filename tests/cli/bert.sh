#!/usr/bin/env bash
# End to end: `soma train --model bert` (masked-LM pre-training) writes checkpoints, a metrics log
# with the loss per masked token, perplexity and accuracy, and a learning curve; --resume continues
# exactly where an uninterrupted run would be; `soma generate` on the checkpoint lists the likeliest
# tokens for each [MASK] and fills the prompt in, and rejects prompts without a mask, too long or
# not encodable.
set -euo pipefail
soma="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 300); do echo "In the beginning God created the heaven and the earth. And the earth was without form."; done >"$dir/text.txt"
tiny=(--model bert --data "$dir/text.txt" --layers 1 --heads 2 --width 32 --context 48 --batch-size 8 --eval-every 15 --threads 1)
fail() { echo "$1"; cat "$dir/log"; exit 1; }

"$soma" train "${tiny[@]}" --steps 30 --out "$dir/bert" >"$dir/log" 2>&1 || fail "train failed"
for f in best.ckpt last.ckpt metrics.jsonl learning_curve.svg model.safetensors tokenizer.json; do
  [[ -s "$dir/bert/$f" ]] || fail "missing $f"
done
[[ $(wc -l <"$dir/bert/metrics.jsonl") == 2 ]] || fail "expected 2 metrics lines"
grep -q "validation loss .* nats/masked token, perplexity .*, accuracy" "$dir/log" || fail "no validation line"
grep -q '"val_accuracy"' "$dir/bert/metrics.jsonl" || fail "no val_accuracy in the metrics"
grep -q "accuracy" "$dir/bert/learning_curve.svg" || fail "no accuracy panel in the learning curve"
grep -q '\[MASK\]' "$dir/bert/tokenizer.json" || fail "the tokenizer has no [MASK]"
grep -q "^fill-mask: " "$dir/log" || fail "no fill-mask demo after training"
# It learns: the validation loss per masked token falls, below log(vocabulary of 28) = 3.33.
awk -F'"val_loss":' '{ split($2, v, /[,}]/); loss[NR] = v[1] }
  END { exit !(loss[NR] < loss[1] && loss[1] < 3.33) }' "$dir/bert/metrics.jsonl" || fail "the validation loss did not fall"

# Resume from step 30 to 45: one more evaluation line, at the learning rate of 45 steps in one go.
"$soma" train "${tiny[@]}" --steps 45 --out "$dir/bert" --resume >"$dir/log" 2>&1 || fail "resume failed"
grep -q "resumed from" "$dir/log" || fail "did not resume"
[[ $(wc -l <"$dir/bert/metrics.jsonl") == 3 ]] || fail "expected 3 metrics lines"
"$soma" train "${tiny[@]}" --steps 45 --out "$dir/straight" >"$dir/log" 2>&1 || fail "train failed"
lr() { tail -1 "$1" | grep -o '"lr":[^,]*'; }
[[ $(lr "$dir/bert/metrics.jsonl") == $(lr "$dir/straight/metrics.jsonl") ]] || fail "resumed lr differs"

# Fill-mask: one line per mask with 5 tokens (most likely first), then the prompt filled in with
# each mask's first token; the same output every time.
prompt="God created the h[MASK]aven and the [MASK]arth"
"$soma" generate --checkpoint "$dir/bert/best.ckpt" --prompt "$prompt" >"$dir/out" 2>"$dir/log" || fail "generate failed"
grep -c '^\[MASK\] [12]:' "$dir/out" | grep -qx 2 || fail "expected 2 mask lines: $(cat "$dir/out")"
# Each mask line: 5 quoted tokens with probabilities, most likely first, summing to at most 1.
for m in 1 2; do
  grep "^\[MASK\] $m:" "$dir/out" | grep -oE '" [0-9]\.[0-9]+' | tr -d '" ' | awk '{ s += $1; if (NR > 1 && $1 > prev) exit 1; prev = $1 }
    END { exit !(NR == 5 && s > 0 && s <= 1.0001) }' || fail "bad mask line $m: $(cat "$dir/out")"
done
# Then the prompt with each mask replaced by a character.
filled=$(grep -v '^\[MASK\]' "$dir/out")
[[ "$filled" == "God created the h"?"aven and the "?"arth" ]] || fail "bad filled prompt: $(cat "$dir/out")"
"$soma" generate --checkpoint "$dir/bert/best.ckpt" --prompt "$prompt" >"$dir/out2"
cmp -s "$dir/out" "$dir/out2" || fail "fill-mask is not deterministic"
"$soma" generate --checkpoint "$dir/bert/best.ckpt" --prompt "$prompt" --top-k 2 >"$dir/out2"
[[ "$(head -1 "$dir/out")" == "$(head -1 "$dir/out2")"* ]] || fail "--top-k 2 is not the first two of 5"

expect_error() {  # expect_error MESSAGE generate-args...
  local message="$1"
  shift
  if "$soma" generate --checkpoint "$dir/bert/best.ckpt" "$@" >"$dir/log" 2>&1; then fail "no error for $*"; fi
  grep -q -- "$message" "$dir/log" || fail "expected '$message'"
}
expect_error "the prompt has no \[MASK\] to fill in" --prompt "In the beginning"
expect_error "this BERT reads at most 46 (48 context minus \[CLS\] and \[SEP\])" \
  --prompt "In the beginning God created the heaven and the [MASK]arth. And the earth"
expect_error "not in the vocabulary" --prompt "zq [MASK]"
expect_error "--top-k must be at least 1" --prompt "the [MASK]" --top-k 0

# BPE: the space before a mask is left for the mask to fill (tokens carry their leading space).
"$soma" train "${tiny[@]}" --tokenizer bpe --vocab-size 300 --steps 15 --out "$dir/bpe" >"$dir/log" 2>&1 || fail "bpe train failed"
"$soma" generate --checkpoint "$dir/bpe/best.ckpt" --prompt "God created the [MASK] and the earth" >"$dir/out"
[[ $(tail -1 "$dir/out") == "God created the"*" and the earth" ]] || fail "bpe fill-mask: $(cat "$dir/out")"
echo ok

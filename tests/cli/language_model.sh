#!/usr/bin/env bash
# End to end: `soma train` on a language model (gpt and lstm, char and BPE tokenizers) writes
# checkpoints, a metrics log and a learning curve; --resume continues; `soma generate` streams
# the same text for the same seed and rejects a prompt the tokenizer cannot encode.
set -euo pipefail
soma="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 300); do echo "In the beginning God created the heaven and the earth. And the earth was without form."; done >"$dir/text.txt"
tiny=(--layers 1 --heads 2 --width 32 --context 32 --batch-size 8 --eval-every 15 --threads 1)

"$soma" train --model gpt --data "$dir/text.txt" --steps 30 "${tiny[@]}" --out "$dir/gpt" >"$dir/log" 2>&1
for f in best.ckpt last.ckpt metrics.jsonl learning_curve.svg model.safetensors tokenizer.json; do
  [[ -s "$dir/gpt/$f" ]] || { echo "missing $f"; cat "$dir/log"; exit 1; }
done
[[ $(wc -l <"$dir/gpt/metrics.jsonl") == 2 ]]
grep -q "perplexity" "$dir/log"

# Resume from step 30 to 45: one more evaluation line.
"$soma" train --model gpt --data "$dir/text.txt" --steps 45 "${tiny[@]}" --out "$dir/gpt" --resume >"$dir/log" 2>&1
grep -q "resumed from" "$dir/log"
[[ $(wc -l <"$dir/gpt/metrics.jsonl") == 3 ]]

# Same seed, same text; the prompt comes first.
a=$("$soma" generate --checkpoint "$dir/gpt/best.ckpt" --prompt "In the" --max-tokens 20 --seed 5 --top-k 5)
b=$("$soma" generate --checkpoint "$dir/gpt/best.ckpt" --prompt "In the" --max-tokens 20 --seed 5 --top-k 5)
[[ "$a" == "$b" && "$a" == "In the"* ]]
if "$soma" generate --checkpoint "$dir/gpt/best.ckpt" --prompt "zq" >"$dir/out" 2>&1; then exit 1; fi
grep -q "not in the vocabulary" "$dir/out"
if "$soma" generate --checkpoint "$dir/text.txt" >"$dir/out" 2>&1; then exit 1; fi

"$soma" train --model lstm --tokenizer bpe --vocab-size 300 --data "$dir/text.txt" --steps 15 --width 32 --context 32 \
  --batch-size 8 --eval-every 15 --threads 1 --out "$dir/lstm" >"$dir/log" 2>&1
[[ -s "$dir/lstm/best.ckpt" ]]
"$soma" generate --checkpoint "$dir/lstm/best.ckpt" --prompt "And" --max-tokens 10 --temperature 0 >/dev/null
echo ok

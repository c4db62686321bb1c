#!/usr/bin/env bash
# End to end: `soma tokenizer train` (char and BPE) on a small text, encode then decode must
# give the text back (special tokens included), and bad input must fail with a clear message.
set -euo pipefail
soma="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 50); do echo "In the beginning God created the heaven and the earth. Verse $i, caf"$'\xc3\xa9'"."; done >"$dir/text.txt"

"$soma" tokenizer train --kind bpe --vocab-size 300 --input "$dir/text.txt" --special '<eos>' --out "$dir/bpe.json" | grep -q "bpe tokenizer: 300 tokens (1 special)"
"$soma" tokenizer train --kind char --input "$dir/text.txt" --unk '[UNK]' --out "$dir/char.json" | grep -q "char tokenizer"

text=$'the heaven<eos>, caf\xc3\xa9!'
ids=$("$soma" tokenizer encode --tokenizer "$dir/bpe.json" --special "$text")
[[ " $ids " == *" 299 "* ]] || { echo "<eos> (id 299) should be among the ids: $ids"; exit 1; }
[[ "$("$soma" tokenizer decode --tokenizer "$dir/bpe.json" $ids)" == "$text" ]]
# Without --special the text of <eos> is ordinary bytes; from standard input works too.
ids=$(printf '%s' "$text" | "$soma" tokenizer encode --tokenizer "$dir/bpe.json")
[[ " $ids " != *" 299 "* ]]
[[ "$("$soma" tokenizer decode --tokenizer "$dir/bpe.json" $ids)" == "$text" ]]

ids=$("$soma" tokenizer encode --tokenizer "$dir/char.json" "God created")
[[ "$("$soma" tokenizer decode --tokenizer "$dir/char.json" $ids)" == "God created" ]]
[[ "$("$soma" tokenizer decode --tokenizer "$dir/char.json" $("$soma" tokenizer encode --tokenizer "$dir/char.json" "Gox"))" == "Go[UNK]" ]]

# Failures: a clear message and a non-zero exit status.
if "$soma" tokenizer decode --tokenizer "$dir/char.json" 0 100000 2>"$dir/err"; then exit 1; fi
grep -q "token id 100000 is out of range" "$dir/err"
if "$soma" tokenizer train --kind bpe --input "$dir/text.txt" --out "$dir/x.json" 2>"$dir/err"; then exit 1; fi
grep -q "needs --vocab-size" "$dir/err"
if "$soma" tokenizer train --kind bpe --vocab-size 300 --input "$dir/missing.txt" --out "$dir/x.json" 2>"$dir/err"; then exit 1; fi
grep -q "read_text_file: cannot open" "$dir/err"
head -c 40 "$dir/bpe.json" >"$dir/cut.json"
if "$soma" tokenizer encode --tokenizer "$dir/cut.json" "x" 2>"$dir/err"; then exit 1; fi
grep -q "is not valid JSON" "$dir/err"
echo "tokenizer train/encode/decode OK"

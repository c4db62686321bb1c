#!/usr/bin/env bash
# Bad input never crashes `soma`: each case below must end with a clear error message (naming
# the option or file, what was wrong and what is valid) and exit status 1 (2 and up for the
# command-line parser), never "terminate called", a signal, a hang or a huge allocation.
# Needs no data set: the image cases read a tiny Fashion-MNIST made here (SOMA_DATA).
set -euo pipefail
soma="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for i in $(seq 40); do echo "In the beginning God created the heaven and the earth."; done >"$dir/small.txt"
# Each option once (CLI11 refuses repeats); the cases add --steps, --batch-size, --threads.
gpt=(--model gpt --data "$dir/small.txt" --context 8 --layers 1 --width 16 --heads 2)
lstm=(--model lstm --data "$dir/small.txt" --context 8 --width 16)

# fails "TEXT" COMMAND...: COMMAND exits with a status in 1..127 and its stderr holds TEXT.
fails() {
  local want="$1" rc=0
  shift
  timeout 60 "$@" >"$dir/out" 2>"$dir/err" </dev/null || rc=$?
  if ((rc == 0 || rc > 127)) || grep -qE "terminate called|runtime error:|Sanitizer" "$dir/err" ||
    ! grep -qF -- "$want" "$dir/err"; then
    echo "FAILED (exit $rc, expected an error with: $want): $*"
    cat "$dir/err"
    exit 1
  fi
}

# A tiny Fashion-MNIST in IDX files: N train and M test images (all black), labels 0..9.
be32() { printf "$(printf '\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }
idx_split() {  # DIR PREFIX COUNT
  { printf '\x00\x00\x08\x03'; be32 "$3"; be32 28; be32 28; head -c $(($3 * 784)) /dev/zero; } >"$1/$2-images-idx3-ubyte"
  { printf '\x00\x00\x08\x01'; be32 "$3"; for ((i = 0; i < $3; i++)); do printf "\\x0$((i % 10))"; done; } >"$1/$2-labels-idx1-ubyte"
}
tiny_mnist() {  # DIR TRAIN TEST
  mkdir -p "$1"
  idx_split "$1" train "$2"
  idx_split "$1" t10k "$3"
}
tiny_mnist "$dir/mnist" 64 20

# Rewrites a checkpoint's metadata (Perl regex -> text in its safetensors header) into a new file.
edit_meta() {  # IN REGEX REPLACEMENT OUT
  perl -e 'my ($in, $from, $to, $out) = @ARGV; open(my $f, "<:raw", $in) or die; local $/; my $d = <$f>;
    my $n = unpack("Q<", substr($d, 0, 8)); my $h = substr($d, 8, $n); my $rest = substr($d, 8 + $n);
    $h =~ s/$from/$to/ or die "no match for $from in $in\n"; $h =~ s/ +$//; $h .= " " x ((8 - length($h) % 8) % 8);
    open(my $o, ">:raw", $out) or die; print $o pack("Q<", length $h), $h, $rest;' "$@"
}

# Checkpoints to misuse: a gpt, an lstm and an image classifier.
"$soma" train "${gpt[@]}" --steps 2 --eval-every 2 --batch-size 4 --threads 1 --out "$dir/gpt" >/dev/null 2>&1
"$soma" train "${lstm[@]}" --steps 2 --eval-every 2 --batch-size 4 --threads 1 --out "$dir/lstm" >/dev/null 2>&1
SOMA_DATA="$dir/mnist" "$soma" train --model mlp-tiny --epochs 1 --batch-size 16 --threads 1 --out "$dir/mlp" >/dev/null 2>&1

# --- 2. outputs, temporary files, checkpoints of the wrong kind -------------------------------
touch "$dir/a_file"
fails "cannot create the output directory '$dir/a_file' (--out)" "$soma" train "${gpt[@]}" --out "$dir/a_file"
fails "cannot create the output directory '/proc/x' (--out)" "$soma" train "${gpt[@]}" --out /proc/x
fails "--out must name a directory, got an empty string" "$soma" train "${gpt[@]}" --out ""
fails "no usable temporary directory (TMPDIR='$dir/nothing')" env TMPDIR="$dir/nothing" "$soma" train --model gpt --steps 2 --out "$dir/o"
fails "no usable temporary directory (TMPDIR='$dir/a_file')" env TMPDIR="$dir/a_file" "$soma" train --model gpt --steps 2 --out "$dir/o"
# A language-model checkpoint without its tokenizer, to generate from and to resume.
edit_meta "$dir/gpt/last.ckpt" '\\"tokenizer\\":' '\"tokenizeX\":' "$dir/no_tok.ckpt"
fails "has no 'tokenizer' in its metadata" "$soma" generate --checkpoint "$dir/no_tok.ckpt"
mkdir -p "$dir/resume_no_tok" && cp "$dir/no_tok.ckpt" "$dir/resume_no_tok/last.ckpt"
fails "has no 'tokenizer' in its metadata" "$soma" train "${gpt[@]}" --steps 4 --resume --out "$dir/resume_no_tok"
# An image checkpoint where a language model's belongs, and the other way round.
fails "is of the image classifier mlp-tiny; generate needs a language model's" \
  "$soma" generate --checkpoint "$dir/mlp/last.ckpt"
mkdir -p "$dir/resume_img" && cp "$dir/mlp/last.ckpt" "$dir/resume_img/"
fails "is of a mlp-tiny model, not of the --model gpt being trained" \
  "$soma" train "${gpt[@]}" --steps 4 --resume --out "$dir/resume_img"
mkdir -p "$dir/resume_gpt" && cp "$dir/gpt/last.ckpt" "$dir/resume_gpt/"
fails "is of a gpt model, not of the --model mlp-tiny being trained" \
  env SOMA_DATA="$dir/mnist" "$soma" train --model mlp-tiny --epochs 2 --batch-size 16 --resume --out "$dir/resume_gpt"
fails "is of a gpt model, not of the --model lstm being trained" \
  "$soma" train "${lstm[@]}" --steps 4 --resume --out "$dir/resume_gpt"
fails "is of the language model gpt; this command needs an image classifier's" \
  "$soma" eval --checkpoint "$dir/gpt/last.ckpt"
fails "is of the language model lstm; this command needs an image classifier's" \
  "$soma" predict --checkpoint "$dir/lstm/last.ckpt" "$dir/a_file"

# --- 3. sizes taken on trust -------------------------------------------------------------------
# An endless stream is generated token by token (not allocated up front) until its reader stops.
for n in 1000000000000 9223372036854775807; do
  set +o pipefail
  timeout 60 "$soma" generate --checkpoint "$dir/gpt/last.ckpt" --prompt "In" --max-tokens $n 2>"$dir/err" |
    head -c 40 >"$dir/stream"
  rc=${PIPESTATUS[0]}
  set -o pipefail
  [[ $rc == 141 && $(wc -c <"$dir/stream") == 40 && $(head -c 2 "$dir/stream") == In ]] || { echo "FAILED: generate --max-tokens $n: exit $rc"; cat "$dir/err"; exit 1; }
done
fails "--batch-size 1000000000000 is more than the" "$soma" train "${gpt[@]}" --batch-size 1000000000000 --out "$dir/o"
fails "--batch-size 1000000000 is more than the 64 training images" \
  env SOMA_DATA="$dir/mnist" "$soma" train --model mlp-tiny --batch-size 1000000000 --out "$dir/o"
# Metadata that disagrees with the weights is refused before a model of its size is built.
edit_meta "$dir/gpt/last.ckpt" '\\"vocab\\":\\"\d+\\"' '\"vocab\":\"1000000000\"' "$dir/vocab.ckpt"
fails "expects 'wte.weight' of shape [1000000000, 16]" "$soma" generate --checkpoint "$dir/vocab.ckpt"
edit_meta "$dir/gpt/last.ckpt" '\\"context\\":\\"\d+\\"' '\"context\":\"1000000000000\"' "$dir/context.ckpt"
fails "expects 'wpe.weight' of shape [1000000000000, 16]" "$soma" generate --checkpoint "$dir/context.ckpt"
edit_meta "$dir/lstm/last.ckpt" '\\"width\\":\\"\d+\\"' '\"width\":\"1000000\"' "$dir/width.ckpt"
fails "expects 'head.weight' of shape" "$soma" generate --checkpoint "$dir/width.ckpt"
edit_meta "$dir/gpt/last.ckpt" '\\"vocab\\":\\"\d+\\"' '\"vocab\":\"64abc\"' "$dir/abc.ckpt"
fails "metadata 'vocab' must be a whole number in [0, 9223372036854775807], got '64abc'" \
  "$soma" generate --checkpoint "$dir/abc.ckpt"
edit_meta "$dir/gpt/last.ckpt" '\\"layers\\":\\"\d+\\"' '\"layers\":\"1000000000\"' "$dir/layers.ckpt"
fails "metadata 'layers' 1000000000 does not fit its" "$soma" generate --checkpoint "$dir/layers.ckpt"

# --- 4, 5. options out of range ---------------------------------------------------------------
fails "--threads must be in [0, " "$soma" train "${gpt[@]}" --threads 100000 --out "$dir/o"
fails "--threads must be in [0, " "$soma" train "${gpt[@]}" --threads -3 --out "$dir/o"
fails "--seed: must be an integer in [0, 18446744073709551615], got '-1'" "$soma" train "${gpt[@]}" --seed -1 --out "$dir/o"
fails "--seed: must be an integer in [0, 18446744073709551615], got '-1'" \
  "$soma" generate --checkpoint "$dir/gpt/last.ckpt" --seed -1
config() { echo "$1" >"$dir/config.json"; }
config '{"epochs": 1.9}'
fails "option 'epochs' must be an integer, got 1.9" "$soma" train --config "$dir/config.json" --out "$dir/o"
config '{"threads": 1e10}'
fails "option 'threads' must be an integer in [0, " "$soma" train --config "$dir/config.json" --out "$dir/o"
config '{"seed": -1}'
fails "option 'seed' must be an integer in [0, " "$soma" train --config "$dir/config.json" --out "$dir/o"
config '{"epochs": -1}'
fails "--epochs must be at least 1, got -1" "$soma" train --config "$dir/config.json" --out "$dir/o"
config '{"steps": -5}'
fails "--steps must be at least 1, got -5" "$soma" train "${gpt[@]}" --config "$dir/config.json" --out "$dir/o"
config '{"batch_size": -2}'
fails "--batch-size must be at least 1, got -2" "$soma" train "${gpt[@]}" --config "$dir/config.json" --out "$dir/o"
# A directory or a FIFO where a file is expected: refused at once (a FIFO never blocks).
mkdir "$dir/a_dir"
mkfifo "$dir/a_fifo"
for bad in a_dir a_fifo; do
  kind=$([[ $bad == a_dir ]] && echo "is a directory" || echo "is a FIFO")
  fails "'$dir/$bad' $kind, expected a regular file" "$soma" train --config "$dir/$bad" --out "$dir/o"
  fails "'$dir/$bad' $kind, expected a regular file" "$soma" train --model gpt --data "$dir/$bad" --out "$dir/o"
  fails "'$dir/$bad' $kind, expected a regular file" "$soma" generate --checkpoint "$dir/$bad"
  fails "'$dir/$bad' $kind, expected a regular file" "$soma" eval --checkpoint "$dir/$bad"
  fails "'$dir/$bad' $kind, expected a regular file" "$soma" predict --checkpoint "$dir/mlp/last.ckpt" "$dir/$bad"
  fails "'$dir/$bad' $kind, expected a regular file" "$soma" tokenizer train --kind char --input "$dir/$bad" --out "$dir/t.json"
  fails "'$dir/$bad' $kind, expected a regular file" "$soma" tokenizer encode --tokenizer "$dir/$bad" "text"
done
# JSON nested 100,000 deep in a config file: refused before parsing (the parser recurses).
head -c 100000 /dev/zero | tr '\0' '[' >"$dir/deep.json"
fails "config file '$dir/deep.json' nests arrays and objects more than 64 deep" "$soma" train --config "$dir/deep.json" --out "$dir/o"
config '{"lr": "fast"}'
fails "option 'lr' must be a number, got \"fast\"" "$soma" train --config "$dir/config.json" --out "$dir/o"
fails "unknown model 'mamba' (expected mlp, mlp-tiny, lenet, gpt, lstm, gru or bert)" \
  "$soma" train --model mamba --data "$dir/small.txt" --out "$dir/o"
fails "repetition_penalty must be > 0 and finite, got inf" \
  "$soma" generate --checkpoint "$dir/gpt/last.ckpt" --repetition-penalty inf
fails "--max-tokens must be >= 0, got -1" "$soma" generate --checkpoint "$dir/gpt/last.ckpt" --max-tokens -1
fails "--vocab-size must be positive, got -5" \
  "$soma" tokenizer train --kind bpe --vocab-size -5 --input "$dir/small.txt" --out "$dir/tok.json"
# A tiny temperature is (nearly) greedy, not "invalid weight -nan".
greedy=$("$soma" generate --checkpoint "$dir/gpt/last.ckpt" --prompt "In" --max-tokens 12 --temperature 0)
tiny=$("$soma" generate --checkpoint "$dir/gpt/last.ckpt" --prompt "In" --max-tokens 12 --temperature 1e-300)
[[ "$tiny" == "$greedy" ]] || { echo "FAILED: --temperature 1e-300 gave '$tiny', greedy '$greedy'"; exit 1; }
# Empty splits of the data are found before any training.
tiny_mnist "$dir/no_train" 0 20
fails "training split in '$dir/no_train' has no images" \
  env SOMA_DATA="$dir/no_train" "$soma" train --model mlp-tiny --out "$dir/o"
tiny_mnist "$dir/no_test" 64 0
fails "test split in '$dir/no_test' has no images" \
  env SOMA_DATA="$dir/no_test" "$soma" train --model mlp-tiny --batch-size 16 --out "$dir/o"
[[ ! -e "$dir/o/last.ckpt" ]] || { echo "FAILED: trained before finding that there are no test images"; exit 1; }
echo "bad input OK"

#!/usr/bin/env bash
# `soma ml`: fit, report, predict and show on small CSV files, and its errors on bad input
# (each a clear message and exit status 1, never a crash).
set -euo pipefail
soma="$1"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# Two separable classes named by text, in columns x1, x2 and a class column in the middle.
make_csv() {  # FILE ROWS OFFSET
  awk -v n="$2" -v o="$3" 'BEGIN { print "x1,kind,x2"; for (i = 0; i < n; i++) {
      c = (i % 2 == 0) ? "cat" : "dog"; s = (c == "cat") ? -1 : 1;
      printf "%.4f,%s,%.4f\n", s * 2 + sin(i + o), c, s + cos(3 * i + o) } }' >"$1"
}
make_csv "$dir/train.csv" 60 0
make_csv "$dir/test.csv" 20 100

"$soma" ml fit --model GaussianNB --set var_smoothing=1e-6 --train "$dir/train.csv" --target kind \
  --test "$dir/test.csv" --predictions "$dir/pred.csv" --out "$dir/model/nb.safetensors" >"$dir/fit.out"
grep -q "GaussianNB(var_smoothing=1e-06) fitted on 60 rows x 2 features" "$dir/fit.out"
grep -q "training accuracy: 1.0000" "$dir/fit.out"
grep -q "test accuracy: 1.0000" "$dir/fit.out"
grep -qE "^ +cat +1.0000 +1.0000 +1.0000 +10" "$dir/fit.out"
[[ $(head -1 "$dir/pred.csv") == prediction && $(wc -l <"$dir/pred.csv") == 21 ]]
[[ $(sed -n 2p "$dir/pred.csv") == cat && $(sed -n 3p "$dir/pred.csv") == dog ]]

# predict reads the target column's name from the model, so the test file's labels are ignored.
"$soma" ml predict --model "$dir/model/nb.safetensors" --data "$dir/test.csv" --predictions "$dir/again.csv" >/dev/null
cmp "$dir/pred.csv" "$dir/again.csv"
cut -d, -f1,3 "$dir/test.csv" >"$dir/features.csv"
"$soma" ml predict --model "$dir/model/nb.safetensors" --data "$dir/features.csv" --predictions "$dir/again.csv" >/dev/null
cmp "$dir/pred.csv" "$dir/again.csv"
"$soma" ml show --model "$dir/model/nb.safetensors" >"$dir/show.out"
grep -q "^GaussianNB(var_smoothing=1e-06)" "$dir/show.out"
grep -q "^features: x1, x2" "$dir/show.out"
grep -q "^theta_: float64 \[2, 2\]" "$dir/show.out"

# A tree: its rules as text, its picture as SVG, from a bundled data set.
"$soma" ml dataset --name iris --out "$dir/iris" >/dev/null
[[ $(wc -l <"$dir/iris/train.csv") == 112 && $(wc -l <"$dir/iris/test.csv") == 40 ]]  # 111 and 39 rows, stratified
"$soma" ml fit --model DecisionTreeClassifier --set criterion=gain_ratio --set max_depth=2 \
  --train "$dir/iris/train.csv" --test "$dir/iris/test.csv" --out "$dir/tree.safetensors" >"$dir/fit.out"
grep -q "criterion='gain_ratio'" "$dir/fit.out"
"$soma" ml show --model "$dir/tree.safetensors" --svg "$dir/tree.svg" >"$dir/show.out"
grep -qE "^\|--- petal (length|width) \(cm\) <= " "$dir/show.out"
grep -q "<svg" "$dir/tree.svg"

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
printf 'a,b,y\n1,2,0\n3,4\n' >"$dir/ragged.csv"
printf 'a,b,y\n1,2,0\n3,x,1\n' >"$dir/text.csv"
printf 'a,b,y\n1,2,0\n3,4,0\n' >"$dir/one_class.csv"
printf 'a,b,y\n1,,0\n3,4,1\n' >"$dir/missing.csv"
printf 'a,b,y\nred,2,0\nblue,4,1\n' >"$dir/categorical.csv"
fit=("$soma" ml fit --model GaussianNB)
fails "ragged.csv' line 3 has 2 fields, expected 3" "${fit[@]}" --train "$dir/ragged.csv"
fails "text.csv' line 3, column 2 ('b'): 'x' is not a number" "${fit[@]}" --train "$dir/text.csv"
fails "column 'a' is not numeric" "${fit[@]}" --train "$dir/categorical.csv"
fails "y has only one class (0)" "${fit[@]}" --train "$dir/one_class.csv"
fails "input X contains NaN (row 0, column 1)" "${fit[@]}" --train "$dir/missing.csv"
fails "no column named 'label' (--target); the columns are: x1, kind, x2" "${fit[@]}" --train "$dir/train.csv" --target label
fails "Unknown label type: continuous" "${fit[@]}" --train "$dir/features.csv"
fails "unknown estimator class 'RandomForest'; known classes are: " "$soma" ml fit --model RandomForest --train "$dir/train.csv"
fails "unknown parameter 'alpha'; valid parameters are: var_smoothing" "${fit[@]}" --set alpha=1 --train "$dir/train.csv"
fails "parameter 'var_smoothing' must be a float in [0.0, inf); got -1" "${fit[@]}" --set var_smoothing=-1 --train "$dir/train.csv"
fails "--set expects NAME=VALUE, got 'var_smoothing'" "${fit[@]}" --set var_smoothing --train "$dir/train.csv"
fails "--predictions needs --test" "${fit[@]}" --train "$dir/train.csv" --target kind --predictions "$dir/p.csv"
fails "missing.csv: no column named 'kind' (--target); the columns are: a, b, y" \
  "${fit[@]}" --train "$dir/train.csv" --target kind --test "$dir/missing.csv"
fails "'$dir' is a directory" "${fit[@]}" --train "$dir"
fails "train.csv: header length" "$soma" ml show --model "$dir/train.csv"
fails "--svg draws decision trees only" "$soma" ml show --model "$dir/model/nb.safetensors" --svg "$dir/nb.svg"
fails "the feature columns (a, b, y) differ from the training file's (x1, x2)" "$soma" ml predict --model "$dir/model/nb.safetensors" --data "$dir/one_class.csv" --predictions "$dir/p.csv"
head -c 100 "$dir/model/nb.safetensors" >"$dir/cut.safetensors"
fails "cut.safetensors" "$soma" ml show --model "$dir/cut.safetensors"
echo "ml: all checks passed"

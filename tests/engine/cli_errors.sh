#!/bin/sh
# rwkv-cli: bad paths, corrupt files and bad arguments print one line to stderr and exit
# non-zero; good calls print one JSON object. One case per argument (meson registers each):
# files, arguments, convert, good-calls, punctuate; none runs them all.
cli=${RWKV_CLI:?}
data=${RWKV_TESTDATA:?}
[ -f "$data/rwkvcpp/SOURCES.txt" ] || { echo "SKIP: ../shared/testdata is absent"; exit 77; }
model=$data/rwkvcpp/tiny-rwkv-4v0-660K-FP32.bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

expect_error() {  # expect_error NEEDLE ARGS...
  needle=$1; shift
  if "$cli" "$@" >"$tmp/out" 2>"$tmp/err"; then
    echo "FAIL: rwkv-cli $* succeeded"; fail=1; return
  fi
  lines=$(wc -l <"$tmp/err")
  if [ "$lines" -ne 1 ] || ! grep -q -- "$needle" "$tmp/err"; then
    echo "FAIL: rwkv-cli $*: expected one line mentioning '$needle', got:"; cat "$tmp/err"; fail=1
  fi
  [ -s "$tmp/out" ] && { echo "FAIL: rwkv-cli $* wrote to stdout"; fail=1; }
}

files() {
head -c 1000 "$model" >"$tmp/truncated.bin"
expect_error "No such file" info --model "$tmp/nope.bin"
expect_error "truncated" info --model "$tmp/truncated.bin"
expect_error "unknown option --modle" info --modle "$model"
export RWKV_MODEL="$tmp/default.bin"  # no --model: the default model, here from RWKV_MODEL
expect_error "default.bin" logits --tokens 1,2
unset RWKV_MODEL
}

arguments() {
expect_error "bad token id 'x'" logits --model "$model" --tokens 1,x
expect_error "out of range" logits --model "$model" --tokens 1,300
expect_error "--mode must be step or sequence" logits --model "$model" --tokens 1 --mode fast
expect_error "unknown command" frobnicate
}

convert() {
expect_error "not bf16" convert "$model" "$tmp/x.bin" bf16
expect_error "expected IN OUT TYPE" convert "$model" "$tmp/x.bin"
[ -e "$tmp/x.bin" ] && { echo "FAIL: a failed convert left $tmp/x.bin"; fail=1; }
"$cli" convert "$model" "$tmp/c.bin" fp16 >"$tmp/conv" && grep -q '"type": "fp16"' "$tmp/conv" &&
  "$cli" info --model "$tmp/c.bin" | grep -q '"arch": "rwkv4"' || { echo "FAIL: convert"; cat "$tmp/conv"; fail=1; }
}

punctuate() {
expect_error "lookahead" punctuate --model "$model" --lookahead 0 </dev/null
expect_error "No such file" punctuate --model "$tmp/nope.bin" </dev/null
expect_error "unknown option --look" punctuate --model "$model" --look 2 </dev/null
# Each line comes out on its own line with the same words; a written line unchanged.
printf 'hello there how are you\nThe end.\n' | "$cli" punctuate --model "$model" --tokenizer bytes >"$tmp/p" ||
  { echo "FAIL: punctuate"; fail=1; }
[ "$(wc -l <"$tmp/p")" -eq 2 ] && [ "$(sed -n 2p "$tmp/p")" = "The end." ] &&
  [ "$(sed -n 1p "$tmp/p" | tr -d '.,?!' | tr 'A-Z' 'a-z')" = "hello there how are you" ] ||
  { echo "FAIL: punctuate output:"; cat "$tmp/p"; fail=1; }
}

good_calls() {
"$cli" info --model "$model" >"$tmp/info" || { echo "FAIL: info"; fail=1; }
grep -q '"arch": "rwkv4"' "$tmp/info" || { echo "FAIL: info output"; cat "$tmp/info"; fail=1; }
"$cli" logits --model "$model" --tokens 34,105,110 --mode step >"$tmp/a" &&
  "$cli" logits --model "$model" --tokens 34,105,110 --mode sequence >"$tmp/b" &&
  cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: step and sequence logits differ"; fail=1; }
}

case "${1:-all}" in
  files) files ;;
  arguments) arguments ;;
  convert) convert ;;
  good-calls) good_calls ;;
  punctuate) punctuate ;;
  all) files; arguments; convert; good_calls; punctuate ;;
  *) echo "cli_errors.sh: no case named '$1'" >&2; exit 2 ;;
esac
exit $fail

#!/bin/sh
# Times this engine (rwkv-bench) and rwkv.cpp (rwkv-bench-rwkvcpp) on the same model files,
# interleaved round by round, and prints each round and the median ratios.
#   tools/rwkv-bench/vs-rwkvcpp.sh BUILD_DIR RWKVCPP_LIB FILE... 
# ROUNDS (3), THREADS (2), TOKENS (64), SEQ (128) from the environment. rwkv.cpp is built by
# the user from its own repository (cmake -DCMAKE_BUILD_TYPE=Release); it is not part of this
# project. A file name may carry ":q8_0" etc. to quantize it in this engine at load.
set -e
build=$1 lib=$2
shift 2
rounds=${ROUNDS:-3} threads=${THREADS:-2} tokens=${TOKENS:-64} seq=${SEQ:-128}
"$build/tools/rwkv-bench" --shape rwkv4-169m --tokens 1 --seq 1 --threads "$threads" | sed -n 1p
echo "file | round | ours step tok/s | rwkv.cpp step | ours seq tok/s | rwkv.cpp seq | ours RSS MB | rwkv.cpp RSS MB | ours GB/s of weights (% of bandwidth)"
for spec in "$@"; do
  file=${spec%%:*} q=
  [ "$spec" != "$file" ] && q="--quantize ${spec#*:}"
  r=1
  while [ $r -le "$rounds" ]; do
    o=$("$build/tools/rwkv-bench" --model "$file" $q --threads "$threads" --tokens "$tokens" --seq "$seq")
    p=$("$build/tools/rwkv-bench-rwkvcpp" --lib "$lib" --model "$file" --threads "$threads" --tokens "$tokens" --seq "$seq")
    printf '%s\n%s\n' "$o" "$p" | awk -v f="$(basename "$spec")" -v r=$r '
      /^step:/ { s[n_s++] = $2; if (n_s == 1) { gbs = $4; pct = $9 } }
      /^sequence:/ { q[n_q++] = $2 }
      /^peak RSS:/ { m[n_m++] = $3 }
      END { printf "%s | %d | %.2f | %.2f | %.1f | %.1f | %.0f | %.0f | %s (%s)\n", f, r, s[0], s[1], q[0], q[1], m[0], m[1], gbs, pct }'
    r=$((r + 1))
  done
done | tee /tmp/vs-rwkvcpp.$$
echo "medians: file | step ours/rwkv.cpp | sequence ours/rwkv.cpp | RSS ours/rwkv.cpp"
awk -F' [|] ' '{ k = $1; ss[k] = ss[k] " " $3 / $4; qq[k] = qq[k] " " $5 / $6; mm[k] = mm[k] " " $7 / $8; order[k] = NR }
  function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return a[int((n + 1) / 2)] }
  END { for (k in ss) printf "%s | %.2fx | %.2fx | %.2fx\n", k, med(ss[k]), med(qq[k]), med(mm[k]) }' /tmp/vs-rwkvcpp.$$ | sort
rm -f /tmp/vs-rwkvcpp.$$

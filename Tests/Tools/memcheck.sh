#!/usr/bin/env bash
# valgrind memcheck over full evaluations and over the error paths: no invalid memory
# access anywhere, and no definite or indirect leak whose allocation stack passes through
# json-c (the JSON layer must release every json_object exactly once). Blocks the Swift
# runtime keeps for its metadata caches when a process exits are not json-c leaks and
# are not counted.
set -euo pipefail
cds=${1:-.build/debug/cds}
cd "$(dirname "$0")/../.."
passed=0
failed=0

check() { # name, stdin-or-empty, args...
  local name=$1 input=$2
  shift 2
  local log
  log=$(mktemp)
  set +e
  printf '%s' "$input" | valgrind --suppressions=Tests/Tools/swift-runtime.supp --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=none \
      --error-exitcode=99 --log-file="$log" "$cds" "$@" >/dev/null 2>&1
  local rc=$?
  set -e
  local json_leaks
  json_leaks=$(awk '/lost in loss record/{block=$0; inrec=1; next} inrec && /^==[0-9]+== *$/{if (block ~ /json_|libjson-c/) print block; inrec=0; next} inrec{block=block "\n" $0}' "$log")
  if [ "$rc" -eq 99 ] || [ -n "$json_leaks" ]; then
    echo "memcheck: $name: FAILED"
    cat "$log"
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
  rm -f "$log"
}

for c in Tests/Vignettes/01-new-patient.case.json Tests/Vignettes/19-dancer-with-nsaid-allergy-failed-care.case.json; do
  check "$c" "" evaluate "$c"
  check "$c (explain)" "" evaluate --explain "$c"
done
check "invalid JSON" '{"schemaVersion": 1, "a": [1, 2, {"b": NaN}]}' evaluate -
check "duplicate key" '{"schemaVersion": 1, "patient": {"age": 3, "age": 4}}' evaluate -
check "invalid case" '{"schemaVersion":1,"patient":{"age":-1,"sex":"x"}}' evaluate -
check "catalog check" "" catalog check
session=$(printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize"}' '[{"jsonrpc":"2.0","id":2,"method":"catalog/get","params":{"id":"initial.nsaids"}},{"jsonrpc":"2.0","method":"ping"}]' \
  "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"case/evaluate\",\"params\":{\"case\":$(tr -d '\n' < Tests/Vignettes/15-post-arthroplasty-tenotomy.case.json)}}" \
  '{"jsonrpc":"2.0","id":4,"method":"case/evaluate","params":{"case":{"schemaVersion":1}}}' '{bad json' '[]' '{"jsonrpc":"2.0","id":5,"method":"shutdown"}')
check "serve session" "$session" serve
echo "memcheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

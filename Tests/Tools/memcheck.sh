#!/usr/bin/env bash
# valgrind memcheck over full evaluations: json-c objects are released exactly once, so no
# definite or indirect leak may appear. (The Swift runtime's own still-reachable blocks
# are not leaks and are not counted.)
set -euo pipefail
cds=${1:-.build/debug/cds}
cd "$(dirname "$0")/../.."
status=0
for c in Tests/Vignettes/01-new-patient.case.json Tests/Vignettes/19-dancer-with-nsaid-allergy-failed-care.case.json; do
  log=$(mktemp)
  if ! valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
      --error-exitcode=99 --log-file="$log" "$cds" evaluate "$c" >/dev/null; then
    echo "memcheck: $c: valgrind reported errors:"; cat "$log"; status=1
  fi
  rm -f "$log"
done
# A case with invalid JSON and one failing validation exercise the error paths.
for input in '{"schemaVersion": 1,}' '{"schemaVersion":1,"patient":{"age":-1,"sex":"x"}}'; do
  log=$(mktemp)
  set +e
  printf '%s' "$input" | valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
      --error-exitcode=99 --log-file="$log" "$cds" evaluate - >/dev/null 2>&1
  rc=$?
  set -e
  if [ "$rc" -eq 99 ]; then echo "memcheck: invalid input: valgrind reported errors:"; cat "$log"; status=1; fi
  rm -f "$log"
done
[ "$status" -eq 0 ] && echo "memcheck: 4 passed, 0 failed" || echo "memcheck: failed"
exit $status

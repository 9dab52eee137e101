#!/usr/bin/env bash
# The whole test suite: TypeScript type check, ava tests (unit + integration against real
# servers), the native C++ tests (ctest, plain and under ASan/UBSan) and the PostgreSQL
# extension's pg_regress tests. Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
failures=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/pilotscope-tests.XXXXXX")

# Adds the counts of a suite's last line "N passed, N failed" to the totals.
count_suite() {
  local name=$1 rc=$2 log=$3
  local line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "[$name] produced no summary line (exit code $rc): counted as one failure; log: $log"
    failed=$((failed + 1)); failures+=("$name"); return
  fi
  p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
    failures+=("$name")
    [ "$f" -eq 0 ] && failed=$((failed + 1))
  fi
  echo "[$name] $line"
}

run_suite() {
  local name=$1; shift
  local log="$logdir/$name.log"
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  count_suite "$name" "${PIPESTATUS[0]}" "$log"
}

typecheck() {
  if npx tsc -p . --noEmit; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; return 1; fi
}

ava_suite() {
  local tap="$logdir/ava.tap" rc
  npx ava --tap "$@" | tee "$tap"; rc=${PIPESTATUS[0]}
  awk '/^# pass/{p=$3} /^# fail/{f=$3} /^# skip/{s=$3} /^# todo/{d=$3} END{printf "%d passed, %d failed, %d skipped, %d todo\n",p,f,s,d}' "$tap"
  return "$rc"
}

run_suite typecheck typecheck
# Headless Chromium for the report tests (installed once, from Debian's packages).
bash test/setup-chromium.sh || echo "warning: chromium could not be installed; the report test will fail"
run_suite ava ava_suite "$@"
if [ $# -eq 0 ]; then
  [ -x native/run-tests.sh ] && run_suite native native/run-tests.sh
  [ -x adapters/postgres/extension/test/run.sh ] && run_suite extension adapters/postgres/extension/test/run.sh
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failing suites: ${failures[*]} (logs in $logdir)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

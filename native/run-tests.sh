#!/usr/bin/env bash
# Builds the native core and runs its GoogleTest suite under ctest twice: a normal optimized
# build and an ASan+UBSan build. The last line is "N passed, N failed" summed over both runs.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
jobs="${PILOTSCOPE_BUILD_JOBS:-2}"
passed=0
failed=0
status=0

run_suite() {
  local name="$1"
  shift
  local dir="$here/build-$name"
  echo "== native tests ($name)"
  if ! cmake -S "$here" -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1; then
    cat "$dir.configure.log"
    echo "configure failed ($name)"
    failed=$((failed + 1)); status=1; return
  fi
  if ! cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
    tail -50 "$dir.build.log"
    echo "build failed ($name)"
    failed=$((failed + 1)); status=1; return
  fi
  local log="$dir/ctest.log"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  [ "$rc" -ne 0 ] && status=1
  # ctest summary: "NN% tests passed, F tests failed out of T"
  local summary total fails
  summary="$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)"
  if [ -z "$summary" ]; then
    failed=$((failed + 1)); status=1; return
  fi
  fails="$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")"
  total="$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")"
  passed=$((passed + total - fails))
  failed=$((failed + fails))
}

run_suite release -DCMAKE_BUILD_TYPE=Release
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPILOTSCOPE_SANITIZE=ON

echo "$passed passed, $failed failed"
exit "$status"

#!/usr/bin/env bash
#
# Builds and installs the pilotscope extension, starts a private temporary
# PostgreSQL cluster with it preloaded, and runs every test against it:
#   - the standalone payload parser tests            (each case is a check)
#   - a bounded libFuzzer run of the parser          (one check; needs clang)
#   - pg_regress: make installcheck                  (each test is a check)
#   - the backend fuzz driver through set_config()   (each payload is a check)
#   - the server log shows no crash                  (one check)
#   - stats_tiny: pull, count, push, verify          (one check; needs the dataset)
# The last line is "N passed, N failed"; the exit status is non-zero on any failure.
#
# Environment: PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config),
# FUZZ_ITERATIONS (default 5000), LIBFUZZER_SECONDS (default 20).
# Run as root (initdb and postgres then run as the postgres user).
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ext="$(dirname "$here")"
repo="$(cd "$ext/../../.." && pwd)"
PG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}"
bindir="$("$PG_CONFIG" --bindir)"
fuzz_iterations="${FUZZ_ITERATIONS:-5000}"
libfuzzer_seconds="${LIBFUZZER_SECONDS:-20}"

passed=0
failed=0
pass() { passed=$((passed + $1)); }
fail() { failed=$((failed + $1)); }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}
# Reads "...: N passed, M failed" from the last such line of a file.
count_line() {
	local line
	line="$(grep -E '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)"
	if [ -z "$line" ]; then
		echo "no result line in $1" >&2
		fail 1
		return
	fi
	pass "$(sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")"
	fail "$(sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")"
}

work="$(mktemp -d -t pilotscope-test.XXXXXX)"
pgdata="$work/data"
sock="$work/sock"
log="$work/server.log"
started=no
cleanup() {
	if [ "$started" = yes ]; then
		runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT

cd "$ext" || exit 1

echo "== build and install"
make -s PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
if ! make -s with_llvm=no PG_CONFIG="$PG_CONFIG" PG_CFLAGS=-Werror >"$work/build.log" 2>&1 ||
	! make -s with_llvm=no PG_CONFIG="$PG_CONFIG" install >>"$work/build.log" 2>&1; then
	cat "$work/build.log"
	echo "build failed"
	fail 1
	finish
fi

echo "== payload parser unit tests"
make -s PG_CONFIG="$PG_CONFIG" unit >"$work/unit.log" 2>&1
tail -1 "$work/unit.log"
count_line "$work/unit.log"

echo "== libFuzzer (${libfuzzer_seconds}s)"
if make -s PG_CONFIG="$PG_CONFIG" fuzz >"$work/fuzz-build.log" 2>&1; then
	mkdir -p "$work/corpus" && cp test/fuzz/corpus/* "$work/corpus/"
	if (cd "$work" && "$ext/test/build/payload_fuzzer" -max_total_time="$libfuzzer_seconds" \
		-max_len=1024 -dict="$ext/test/fuzz/payload.dict" -artifact_prefix="$work/" \
		"$work/corpus") >"$work/libfuzzer.log" 2>&1; then
		grep -E '^#[0-9]+[[:space:]]+DONE' "$work/libfuzzer.log" | tail -1
		pass 1
	else
		tail -30 "$work/libfuzzer.log"
		fail 1
	fi
else
	# no clang with libFuzzer here: the backend fuzz driver below still runs
	echo "skipped: $(tail -1 "$work/fuzz-build.log")"
fi

echo "== private cluster"
mkdir -p "$sock" && chown -R postgres: "$work"
if ! runuser -u postgres -- "$bindir/initdb" -D "$pgdata" -A trust -U postgres --no-sync \
	>"$work/initdb.log" 2>&1; then
	cat "$work/initdb.log"
	fail 1
	finish
fi
# Unix socket only, in a private directory: no port can clash; still pick an unused one.
port=$((20000 + RANDOM % 20000))
while ss -Htln "sport = :$port" 2>/dev/null | grep -q .; do port=$((port + 1)); done
if ! runuser -u postgres -- "$bindir/pg_ctl" -D "$pgdata" -l "$log" -w start \
	-o "-p $port -k $sock -c listen_addresses='' -c shared_preload_libraries=pilotscope -c fsync=off" \
	>/dev/null; then
	cat "$log"
	fail 1
	finish
fi
started=yes
export PGHOST="$sock" PGPORT="$port" PGUSER=postgres
conninfo="host=$sock port=$port user=postgres"

echo "== pg_regress"
make -s PG_CONFIG="$PG_CONFIG" installcheck >"$work/regress.log" 2>&1
grep -E '^(test|ok|not ok) ' "$work/regress.log"
regress_ok=$(grep -cE '^test .* \.\.\. ok' "$work/regress.log")
regress_failed=$(grep -cE '^test .* \.\.\. FAILED' "$work/regress.log")
pass "$regress_ok"
fail "$regress_failed"
if [ "$regress_ok" -eq 0 ] && [ "$regress_failed" -eq 0 ]; then
	cat "$work/regress.log"
	fail 1
fi
if [ "$regress_failed" -gt 0 ] && [ -f test/out/regression.diffs ]; then
	head -200 test/out/regression.diffs
fi

echo "== backend fuzz ($fuzz_iterations payloads)"
if make -s PG_CONFIG="$PG_CONFIG" fuzz-backend >"$work/fuzz-backend-build.log" 2>&1 &&
	"$bindir/createdb" pilotscope_fuzz &&
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -d pilotscope_fuzz -f test/fuzz/fuzz_setup.sql \
		>"$work/fuzz-setup.log" 2>&1; then
	test/build/fuzz_backend "$conninfo dbname=pilotscope_fuzz" "$fuzz_iterations" 20231203 \
		>"$work/fuzz.log" 2>&1
	grep -E '^fuzz' "$work/fuzz.log"
	grep -A3 'fuzz failure' "$work/fuzz.log" | head -40
	count_line "$work/fuzz.log"
else
	cat "$work/fuzz-backend-build.log" "$work/fuzz-setup.log" 2>/dev/null
	fail 1
fi

dataset="$repo/../shared/datasets/stats_tiny"
if [ -f "$dataset/data.sql" ] && [ -f "$dataset/train.sql" ]; then
	echo "== stats_tiny: pull, count, push, verify (first 150 training queries)"
	if make -s PG_CONFIG="$PG_CONFIG" cardcheck >"$work/cardcheck-build.log" 2>&1 &&
		"$bindir/createdb" stats_tiny &&
		"$bindir/psql" -X -q -d stats_tiny -f "$dataset/data.sql" >"$work/stats.log" 2>&1 &&
		"$bindir/psql" -X -q -d stats_tiny -c "CREATE EXTENSION pilotscope" -c "ANALYZE" \
			>>"$work/stats.log" 2>&1 &&
		test/build/cardcheck check "$conninfo dbname=stats_tiny" "$dataset/train.sql" 150 \
			>"$work/cardcheck.log" 2>&1; then
		cat "$work/cardcheck.log"
		pass 1
	else
		tail -30 "$work/cardcheck-build.log" "$work/stats.log" "$work/cardcheck.log" 2>/dev/null
		fail 1
	fi
else
	echo "== stats_tiny not found next to the repository; its check is not run"
fi

echo "== server log"
if grep -E 'terminated by signal|PANIC|TRAP:|was terminated by exception|exited with exit code [2-9]' "$log"; then
	echo "the server log shows a crash"
	fail 1
else
	echo "no crash in the server log"
	pass 1
fi

finish

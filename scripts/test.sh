#!/usr/bin/env bash
# Every test, from nothing: set up .venv with the dev tools, lint the SQL (sqlfluff on a :memory: target, so it never
# locks a database), start a throwaway PostgreSQL 15 on 127.0.0.1, then pytest: generator, runner, end-to-end dbt
# builds on generated data (dbt data and unit tests run inside them), and the same project built on PostgreSQL.
# Extra arguments go to pytest (e.g. -k runner). Set CS_SKIP_POSTGRES=1 to run without PostgreSQL.
# The lint runs beside pytest (its report is printed after pytest's), and pytest runs its modules on CS_TEST_WORKERS
# processes (pytest-xdist, default 2; 0 runs them in this process): each module stays on one worker (--dist loadfile),
# modules are handed out in collection order, slowest first (--no-loadscope-reorder: xdist would otherwise start with
# the modules that have the most tests), the session's demo builds are made once for all workers and each worker has
# a PostgreSQL database of its own (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH"

# tests/test_report.py renders the report in headless Chromium: Debian's package, installed when absent (no browser
# is downloaded at run time; the test fails without it rather than skipping).
if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (apt-get; tests/test_report.py)" >&2
  sudo=""
  [ "$(id -u)" != "0" ] && sudo="sudo"
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >/dev/null
fi
start=$(date +%s)

echo "== sqlfluff lint (beside pytest)" >&2
lint_log="$(mktemp /tmp/customer_scoring_lint.XXXXXX)"
CS_TARGET=lint sqlfluff lint models tests/dbt/singular --disable-progress-bar --nocolor >"$lint_log" 2>&1 &
lint_pid=$!

if [ "${CS_SKIP_POSTGRES:-0}" != "1" ]; then
  echo "== throwaway PostgreSQL" >&2
  export CS_PG_STATE="$(mktemp -u /tmp/customer_scoring_pg.XXXXXX).env"
  trap 'scripts/pg_throwaway.sh stop >/dev/null 2>&1 || true; kill "$lint_pid" 2>/dev/null || true' EXIT
  eval "$(scripts/pg_throwaway.sh start)"
  export CS_REQUIRE_POSTGRES=1
fi

workers="${CS_TEST_WORKERS:-2}"
parallel=()
[ "$workers" != "0" ] && parallel=(-n "$workers" --dist loadfile --no-loadscope-reorder)
echo "== pytest" >&2
set +e
python -m pytest -q -p no:cacheprovider --durations=40 "${parallel[@]}" "$@"
rc=$?
echo "== sqlfluff lint (its report; it ran beside pytest)" >&2
wait "$lint_pid"
lint_rc=$?
set -e
cat "$lint_log"
rm -f "$lint_log"
[ "$lint_rc" != "0" ] && echo "sqlfluff lint failed (exit $lint_rc)" >&2
echo "test suite finished in $(( $(date +%s) - start )) s (pytest exit $rc, lint exit $lint_rc)" >&2
[ "$rc" != "0" ] && exit "$rc"
exit "$lint_rc"

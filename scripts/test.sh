#!/usr/bin/env bash
# Every test, from nothing: set up .venv with the dev tools, lint the SQL (sqlfluff on a :memory: target, so it never
# locks a database), start a throwaway PostgreSQL 15 on 127.0.0.1, then pytest: generator, runner, end-to-end dbt
# builds on generated data (dbt data and unit tests run inside them), and the same project built on PostgreSQL.
# Extra arguments go to pytest (e.g. -k runner). Set CS_SKIP_POSTGRES=1 to run without PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH"
start=$(date +%s)

echo "== sqlfluff lint" >&2
CS_TARGET=lint sqlfluff lint models tests/dbt/singular --disable-progress-bar --nocolor

if [ "${CS_SKIP_POSTGRES:-0}" != "1" ]; then
  echo "== throwaway PostgreSQL" >&2
  export CS_PG_STATE="$(mktemp -u /tmp/customer_scoring_pg.XXXXXX).env"
  trap 'scripts/pg_throwaway.sh stop >/dev/null 2>&1 || true' EXIT
  eval "$(scripts/pg_throwaway.sh start)"
  export CS_REQUIRE_POSTGRES=1
fi

echo "== pytest" >&2
set +e
python -m pytest -q -p no:cacheprovider --durations=25 "$@"
rc=$?
set -e
echo "test suite finished in $(( $(date +%s) - start )) s (exit $rc)" >&2
exit $rc

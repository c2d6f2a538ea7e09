#!/usr/bin/env bash
# A scheduled build from cron (or from Airflow's BashOperator, or any scheduler that runs a command and reads its exit
# code): docs/orchestration/README.md. Runs `customer-scoring build --json`, keeps the JSON result, retries while
# another build holds the work folder's lock (exit 3), and exits with the build's own code, after one line on stderr
# that says what happened.
#
#   # crontab -e: every day at 05:00 UTC (cron's clock is the machine's: set CRON_TZ=UTC or use a UTC machine)
#   0 5 * * * /srv/customer-scoring/docs/orchestration/cron_build.sh >>/var/log/customer-scoring.log 2>&1
#
# Environment (all optional): CS_PROJECT_DIR (default: two folders up), CS_BIN (default <project>/.venv/bin/
# customer-scoring), CS_BUILD_ARGS (default "--raw data/raw"), CS_WORK_DIR (default <project>/build),
# CS_LOCK_TRIES (default 6) and CS_LOCK_WAIT (seconds between tries, default 300).
set -uo pipefail
project="${CS_PROJECT_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
bin="${CS_BIN:-$project/.venv/bin/customer-scoring}"
work="${CS_WORK_DIR:-$project/build}"
tries="${CS_LOCK_TRIES:-6}"
wait_s="${CS_LOCK_WAIT:-300}"
read -r -a args <<<"${CS_BUILD_ARGS:---raw data/raw}"
cd "$project" || exit 2
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

for ((try = 1; ; try++)); do
  # stdout: the JSON result; stderr (the runner's dated log lines) goes to cron's log
  "$bin" build "${args[@]}" --work-dir "$work" --json >"$out"
  rc=$?
  [ "$rc" = 3 ] && [ "$try" -lt "$tries" ] || break
  echo "cron_build: another build holds $work (exit 3); try $((try + 1)) of $tries in ${wait_s} s" >&2
  sleep "$wait_s"
done

# The result: the JSON on stdout, else the one the runner always writes (on exit 2, bad arguments, neither is this
# run's: say nothing of it).
result="$out"
[ -s "$result" ] || result="$work/logs/last_run.json"
[ "$rc" = 2 ] && result=/dev/null
summary="$(python3 - "$result" <<'EOF' 2>/dev/null
import json, sys
r = json.load(open(sys.argv[1]))
steps = ", ".join(f"{s['name']} {'ok' if s['success'] else 'failed'} {s['seconds']:.0f} s" for s in r.get("steps", []))
print(f"run {r.get('run_id')} as of {r.get('as_of_date')}: {steps}; {len(r.get('warnings') or [])} warning(s)"
      + (f"; error: {r['error'].splitlines()[0]}" if r.get("error") else ""))
EOF
)"

case "$rc" in
  0) echo "cron_build: ok: $summary" >&2 ;;
  1) echo "cron_build: FAILED (exit 1, nothing published; the last good publication stays): $summary" >&2 ;;
  2) echo "cron_build: FAILED (exit 2): bad arguments: CS_BUILD_ARGS='${CS_BUILD_ARGS:-}'" >&2 ;;
  3) echo "cron_build: FAILED (exit 3): the work folder stayed locked for $tries tries" >&2 ;;
  4) echo "cron_build: REFUSED (exit 4): a mart would lose too many rows; if the loss is real:" \
          "$bin publish --work-dir $work --accept-row-loss. $summary" >&2 ;;
  130|143) echo "cron_build: INTERRUPTED (exit $rc, nothing published): $summary" >&2 ;;
  *) echo "cron_build: FAILED (exit $rc): $summary" >&2 ;;
esac
exit "$rc"

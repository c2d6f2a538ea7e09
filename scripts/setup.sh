#!/usr/bin/env bash
# Creates .venv (Python 3.11, the tested version; else 3.12 or 3.13, stated in pyproject.toml) and installs the
# project with pinned dependencies. Safe to run again: it reinstalls only when pyproject.toml changed. `--dev` adds the
# test, lint and orchestration tools.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"
py="${PYTHON:-}"
if [ -z "$py" ]; then
  for c in python3.11 python3.12 python3.13 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))'; then
      py=$c; break
    fi
  done
fi
[ -n "$py" ] || { echo "setup: Python 3.11, 3.12 or 3.13 is required (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
[ -x .venv/bin/python ] || "$py" -m venv .venv
stamp=".venv/.installed$extras"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
  echo "$want" > "$stamp"
fi
echo "setup: .venv ready ($(.venv/bin/dbt --version 2>/dev/null | grep -m1 installed | tr -s ' '))" >&2

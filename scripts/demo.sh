#!/usr/bin/env bash
# From nothing to a published, cleaned demo build: set up .venv, generate demo data, build it as of today, publish
# it to publish/customer_scoring.duckdb and print what landed where. Extra arguments go to `customer-scoring demo`
# (e.g. --contacts 20000, --as-of 2026-06-30).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/customer-scoring demo "$@"

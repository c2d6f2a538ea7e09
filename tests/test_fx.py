"""Exchange rates never fail a build: an order dated before its currency's first rate in seeds/fx_rates.csv (USD and
the others start on 2000-01-01) is converted at that first rate and counted as a repair (var fx_before_first_rate
'earliest', the default), or quarantined with its reason ('quarantine'); any other value stops the build.

A tiny raw folder: two contacts, a USD order dated 1999-12-15 (before the first USD rate) and an EUR order dated
after it, every other raw table empty; built as of 2000-06-30."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_build
from customer_scoring import contract
from customer_scoring.generate import ARROW_TYPES

pytestmark = pytest.mark.slow

AS_OF = dt.date(2000, 6, 30)
USD_RATE = Decimal("0.92")  # seeds/fx_rates.csv: USD from 2000-01-01, the first USD rate

T = dt.datetime
ROWS = {
    "crm.contacts": [
        {"contact_id": "C1", "email": "ann@example.org", "first_name": "Ann", "country": "FR",
         "lifecycle_stage": "customer", "created_at": T(1999, 1, 4), "updated_at": T(1999, 1, 4),
         "_loaded_at": T(1999, 1, 5)},
        {"contact_id": "C2", "email": "bob@example.org", "first_name": "Bob", "country": "FR",
         "lifecycle_stage": "customer", "created_at": T(1999, 1, 4), "updated_at": T(1999, 1, 4),
         "_loaded_at": T(1999, 1, 5)},
    ],
    "shop.orders": [
        # before the first USD rate (2000-01-01): 100.00 USD -> 92.00 EUR at the earliest rate
        {"order_id": "O1", "contact_id": "C1", "ordered_at": T(1999, 12, 15, 10), "status": "completed",
         "currency": "USD", "total_amount": "100.00", "channel": "web", "updated_at": T(1999, 12, 15, 10),
         "_loaded_at": T(1999, 12, 16)},
        # a control in the reporting currency, after every first rate
        {"order_id": "O2", "contact_id": "C2", "ordered_at": T(2000, 3, 1, 10), "status": "completed",
         "currency": "EUR", "total_amount": "50.00", "channel": "web", "updated_at": T(2000, 3, 1, 10),
         "_loaded_at": T(2000, 3, 2)},
    ],
}


def write_raw(raw: Path) -> Path:
    """Every raw table of the contract as Parquet, with the rows above (missing columns NULL) or empty."""
    for table in contract.TABLES:
        schema = pa.schema([pa.field(name, ARROW_TYPES[typ]) for name, typ in table.columns])
        rows = ROWS.get(table.qualified, [])
        data = {f.name: pa.array([r.get(f.name) for r in rows], type=f.type) for f in schema}
        folder = raw / table.schema
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(data, schema=schema), folder / f"{table.name}.parquet")
    return raw


@pytest.fixture(scope="module")
def fx_raw(tmp_path_factory) -> Path:
    return write_raw(tmp_path_factory.mktemp("fx_raw"))


# Only the models the tests read, and what they depend on (a partial build publishes nothing: read its work database).
SELECT = ["+customer_scores", "+dq_repairs", "+quarantine", "+dq_reconciliation"]


def built(res):
    assert res.success, res.error
    return duckdb.connect(str(res.dbt_log.parent.parent / "customer_scoring.duckdb"), read_only=True)


def one(con, sql, *params):
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, rows
    return rows[0]


def repaired(con, table, code):
    return one(con, "select repaired_rows from audit.dq_repairs where source_table = ? and reason_code = ?",
               table, code)[0]


def test_order_before_first_rate_converts_at_earliest_rate_and_is_counted(fx_raw, tmp_path):
    con = built(run_build(fx_raw, tmp_path, as_of=AS_OF, select=SELECT))
    try:
        scores = dict(con.execute("select contact_id, monetary_net from marts.customer_scores").fetchall())
        assert scores == {"C1": Decimal("100.00") * USD_RATE, "C2": Decimal("50.00")}
        assert repaired(con, "shop.orders", "fx_rate_extrapolated") == 1
        assert con.execute("select count(*) from audit.quarantine where source_table = 'shop.orders'").fetchone() \
            == (0,)
    finally:
        con.close()


def test_order_before_first_rate_is_quarantined_on_request(fx_raw, tmp_path):
    con = built(run_build(fx_raw, tmp_path, as_of=AS_OF, select=SELECT,
                          extra_vars={"fx_before_first_rate": "quarantine"}))
    try:
        assert con.execute("select record_id, reason_code, detected_in from audit.quarantine "
                           "where source_table = 'shop.orders'").fetchall() \
            == [("O1", "no_fx_rate_for_date", "relational")]
        rec = one(con, "select raw_rows, kept_rows, quarantined_rows, merged_rows, after_as_of_rows, is_reconciled "
                       "from audit.dq_reconciliation where source_table = 'shop.orders'")
        assert rec == (2, 1, 1, 0, 0, True)
        assert repaired(con, "shop.orders", "fx_rate_extrapolated") == 0
        # C1's only order is quarantined: C1 is no customer; C2 still is, in EUR at 1
        assert con.execute("select contact_id, monetary_net from marts.customer_scores").fetchall() \
            == [("C2", Decimal("50.00"))]
    finally:
        con.close()


def test_unknown_rule_stops_the_build_naming_the_var(fx_raw, tmp_path):
    res = run_build(fx_raw, tmp_path, as_of=AS_OF, extra_vars={"fx_before_first_rate": "latest"})
    assert not res.success
    assert "fx_before_first_rate" in res.error and "earliest, quarantine" in res.error, res.error
    assert not (tmp_path / "publish" / "customer_scoring.duckdb").exists()

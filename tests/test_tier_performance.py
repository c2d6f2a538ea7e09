"""Tier performance judges each period's tiers on the conversions known on the build's as-of date, and only those.

The dbt unit tests (models/marts/history/_history_performance__models.yml, models/intermediate/history/
_int_history__models.yml) check the arithmetic (rates, Wilson interval, lift, share, tiers in order, PSI) and the
windows on hand-made rows. What they cannot show is that a conversion loaded after the as-of date stays invisible
through staging: their inputs start after the point-in-time filter. This module makes one small real build of
int_history__outcomes on hand-written raw files (four contacts, one account) as of 2026-06-30: an order dated
before that day but loaded after it, and a deal won before it but recorded after it, do not count; a duplicate
contact created later counts for its master; an account converts through its contact's order and its own deal.
"""
from __future__ import annotations

import datetime as dt
import duckdb
import pytest

from conftest import run_build

AS_OF = dt.date(2026, 6, 30)

RAW = {
    "crm/accounts.csv": """\
account_id,name,website,created_at,updated_at,_loaded_at
A1,Acme,https://acme.com,2025-01-01 09:00:00,2025-01-01 09:00:00,2025-01-01 10:00:00
""",
    # C2B has C2's e-mail and was created later: it merges into C2
    "crm/contacts.csv": """\
contact_id,account_id,email,created_at,updated_at,_loaded_at
C1,A1,c1@acme.com,2025-01-01 09:00:00,2025-01-01 09:00:00,2025-01-01 10:00:00
C2,,c2@example.org,2025-01-02 09:00:00,2025-01-02 09:00:00,2025-01-02 10:00:00
C2B,,C2@Example.org,2026-05-01 09:00:00,2026-05-01 09:00:00,2026-05-01 10:00:00
C3,A1,c3@acme.com,2025-02-01 09:00:00,2025-02-01 09:00:00,2025-02-01 10:00:00
C4,,c4@example.org,2025-03-01 09:00:00,2025-03-01 09:00:00,2025-03-01 10:00:00
""",
    # O2 is dated before the as-of date but loaded after it; O4 was cancelled
    "shop/orders.csv": """\
order_id,contact_id,ordered_at,status,currency,total_amount,_loaded_at
O1,C1,2026-03-01 10:00:00,completed,EUR,10.00,2026-03-01 12:00:00
O2,C1,2026-04-10 10:00:00,completed,EUR,20.00,2026-07-05 09:00:00
O3,C2B,2026-05-05 12:00:00,completed,EUR,30.00,2026-05-05 13:00:00
O4,C4,2026-05-06 12:00:00,cancelled,EUR,15.00,2026-05-06 13:00:00
O5,C4,2026-06-29 12:00:00,completed,EUR,25.00,2026-06-29 13:00:00
""",
    # D2 was open when loaded in February; its won version, closed on 2026-06-25, was loaded after the as-of date
    "crm/opportunities.csv": """\
opportunity_id,contact_id,account_id,created_at,closed_at,stage,is_won,amount,currency,_loaded_at
D1,C3,A1,2026-01-10 09:00:00,2026-05-20 15:00:00,closed_won,true,1000.00,EUR,2026-05-20 16:00:00
D2,C4,,2026-02-01 09:00:00,,proposal,false,500.00,EUR,2026-02-01 10:00:00
D2,C4,,2026-02-01 09:00:00,2026-06-25 15:00:00,closed_won,true,500.00,EUR,2026-07-02 10:00:00
""",
}


@pytest.fixture(scope="module")
def outcomes_build(tmp_path_factory, partial_work):
    """The outcomes and what they read, built in the work folder shared by partial builds as of 2026-06-30 (its
    parse is reused; only relations this build rebuilt are read)."""
    root = tmp_path_factory.mktemp("tier_performance")
    raw = root / "raw"
    for name, text in RAW.items():
        path = raw / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    res = run_build(raw, root, as_of=AS_OF, select=["+int_history__outcomes"], work_dir=partial_work(AS_OF))
    assert res.success, res.error
    con = duckdb.connect(str(partial_work(AS_OF) / "customer_scoring.duckdb"), read_only=True)
    yield con
    con.close()


def test_outcomes_are_what_the_as_of_date_knows(outcomes_build):
    rows = outcomes_build.execute("""
        select entity_type, entity_id, cast(converted_on as varchar), has_completed_order, has_won_deal
        from intermediate.int_history__outcomes
        order by 1, 2, 3
    """).fetchall()
    assert rows == [
        ("account", "A1", "2026-03-01", True, False),   # C1's order: C1 belongs to A1
        ("account", "A1", "2026-05-20", False, True),   # A1's won deal D1
        ("customer", "C1", "2026-03-01", True, False),  # not O2 (2026-04-10): loaded after the as-of date
        ("customer", "C2", "2026-05-05", True, False),  # O3 of C2B, merged into C2
        ("customer", "C4", "2026-06-29", True, False),  # not the cancelled O4
        ("lead", "C1", "2026-03-01", True, False),
        ("lead", "C2", "2026-05-05", True, False),
        ("lead", "C3", "2026-05-20", False, True),      # D1 won with C3
        ("lead", "C4", "2026-06-29", True, False),      # not D2: its win was recorded after the as-of date
    ]


def test_the_late_rows_exist_and_wait(outcomes_build):
    """The rows the outcomes leave out are in the raw data, visible to a later build: the test is not vacuous."""
    (order_status,), = outcomes_build.execute(
        "select dq_status from staging.stg_shop__orders where order_id = 'O2'").fetchall()
    assert order_status == "after_as_of"
    deal = outcomes_build.execute(
        "select is_won, is_closed from intermediate.int_opportunities where opportunity_id = 'D2'").fetchall()
    assert deal == [(False, False)]

"""Behavioural engagement against what leads did next: engaged leads buy more.

One extra build, as of END_DATE - 182 days, of only what the check reads (int_contact__engagement, int_orders and
their parents); conversions come from the session's END_DATE build.

Caveat of the demo data (docs/DECISIONS.md D1): a contact row is loaded when it was last updated, and a customer's
row is updated after the first order, so most people who buy in the half-year after the earlier as-of date are not
yet visible in that build. The conversions compared here are the few leads that were; that test guards the direction
of the signal, not its size. The second test, on the customers of that build (visible, hundreds of them), checks that
the next purchase rises with the engagement level.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from conftest import END_DATE, run_build

HOLDOUT_DAYS = 182
# A level needs this many customers for its repurchase rate to be compared (fewer: one customer moves it 5 points).
MIN_LEVEL_CONTACTS = 20


def work_db(root: Path) -> Path:
    """The private work database of a build made by conftest.run_build into root."""
    return root / "build" / "customer_scoring.duckdb"


@pytest.fixture(scope="module")
def past_engagement(demo_raw, tmp_path_factory) -> tuple[dt.date, Path]:
    root = tmp_path_factory.mktemp("engagement_past")
    as_of = END_DATE - dt.timedelta(days=HOLDOUT_DAYS)
    res = run_build(demo_raw, root, as_of=as_of, select=["+int_contact__engagement", "+int_orders"])
    assert res.success, res.error
    return as_of, work_db(root)


def conversion_by_level(past_db: Path, now_db: Path, as_of: dt.date, customers: bool = False
                        ) -> dict[int, tuple[int, int]]:
    """Per engagement level as of `as_of`: (contacts, contacts with a completed order after as_of and on or before
    END_DATE). The contacts are the leads (golden contacts without a completed order on or before as_of), or the
    customers with `customers`; they are followed to their golden contact of the END_DATE build (a later merge may
    change it)."""
    con = duckdb.connect()
    try:
        con.execute(f"attach '{past_db}' as past (read_only)")
        con.execute(f"attach '{now_db}' as now (read_only)")
        rows = con.execute("""
            with customers_then as (
                select distinct contact_id from past.intermediate.int_orders where is_completed
            ),
            buyers_after as (
                select distinct contact_id
                from now.intermediate.int_orders
                where is_completed and ordered_on > ? and ordered_on <= ?
            ),
            leads as (
                select engagement.engagement_level, identity.master_contact_id
                from past.intermediate.int_contact__engagement as engagement
                left join now.intermediate.int_contacts__identity as identity
                    on engagement.contact_id = identity.contact_id
                where (engagement.contact_id in (select contact_id from customers_then)) = ?
            )
            select
                leads.engagement_level,
                count(*),
                count(buyers_after.contact_id)
            from leads
            left join buyers_after on leads.master_contact_id = buyers_after.contact_id
            group by leads.engagement_level
        """, [as_of, END_DATE, customers]).fetchall()
    finally:
        con.close()
    return {level: (leads, converted) for level, leads, converted in rows}


def test_engaged_leads_convert_more_than_cold_ones(past_engagement, built):
    as_of, past_db = past_engagement
    now_db = built.publication.parent.parent / "build" / "customer_scoring.duckdb"
    by_level = conversion_by_level(past_db, now_db, as_of)
    shown = ", ".join(f"level {lv}: {c}/{n}" for lv, (n, c) in sorted(by_level.items()))

    cold_leads, cold_converted = by_level.get(1, (0, 0))
    engaged_leads = sum(by_level.get(lv, (0, 0))[0] for lv in (3, 4))
    engaged_converted = sum(by_level.get(lv, (0, 0))[1] for lv in (3, 4))
    assert cold_leads > 0 and engaged_leads > 0, f"a level group is empty ({shown})"
    assert engaged_converted > 0, f"no engaged lead converted: nothing to compare ({shown})"
    assert engaged_converted / engaged_leads > cold_converted / cold_leads, (
        f"levels 3-4 must convert at a higher rate than level 1 ({shown})"
    )


def test_engaged_customers_buy_again_more(past_engagement, built):
    as_of, past_db = past_engagement
    now_db = built.publication.parent.parent / "build" / "customer_scoring.duckdb"
    by_level = conversion_by_level(past_db, now_db, as_of, customers=True)
    shown = ", ".join(f"level {lv}: {c}/{n}" for lv, (n, c) in sorted(by_level.items()))
    compared = [lv for lv in sorted(by_level) if by_level[lv][0] >= MIN_LEVEL_CONTACTS]
    assert len(compared) >= 3, f"too few levels with {MIN_LEVEL_CONTACTS}+ customers ({shown})"
    rates = [by_level[lv][1] / by_level[lv][0] for lv in compared]
    assert all(a < b for a, b in zip(rates, rates[1:])), f"repurchase must rise with the level ({shown})"

"""Point-in-time training examples (issue 12, items 1 and 2): int_customer__training_examples.

Two small builds of 300 demo contacts:
- `past`: the original raw data built as of CUTOFF (the latest labelled cut-off, as of END_DATE - 180 days), with only
  the production models (the customer ones, and the lead ones of tests/test_lead_training_examples.py: one session
  build, conftest pit_past, serves both modules);
- `now`: a copy of the raw data with rows dated or loaded after CUTOFF changed or added (a new order, a later refund
  version of an older order, a survey submitted before CUTOFF but loaded after it, a later duplicate of a customer
  that becomes its master), built as of END_DATE with the training examples and the same production models.
Every feature of the training examples at CUTOFF must equal the production models of `past` (what a build as of
CUTOFF computes, without any of the later rows: so nothing after CUTOFF leaked), the scoring rows must equal the
production models of `now`, and the later rows must reach the labels and the scoring cut-off.
"""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest


from conftest import PIT_CONTACTS, PIT_CUTOFF, PIT_MODELS, run_build

END_DATE = dt.date(2026, 6, 30)
HORIZON = 180
CUTOFF = END_DATE - dt.timedelta(days=HORIZON)  # 2026-01-01, the latest labelled cut-off with the default vars
CONTACTS = 300

ORDER_FACT_COLUMNS = [
    "recency_days", "frequency_orders", "monetary_net", "orders_per_year", "avg_basket", "mean_gap_days", "gap_cv",
    "spend_trend", "tenure_days", "category_breadth", "refund_cancel_rate", "overdue_ratio", "discount_dependency",
    "completed_orders_total",
]
RFM_COLUMNS = ["r_score", "f_score", "m_score"]
SATISFACTION_COLUMNS = ["latest_nps", "csat_weighted", "review_rating_weighted"]
FEATURES = ORDER_FACT_COLUMNS + RFM_COLUMNS + SATISFACTION_COLUMNS + ["days_since_last_engagement"]
PRODUCTION_MODELS = ["+int_customer__rfm", "+int_customer__satisfaction", "+int_contact__engagement"]

# what a build computes, in the columns of the training examples
PRODUCTION_FEATURES = f"""
    select
        facts.contact_id,
        {", ".join(f"facts.{c}" for c in ORDER_FACT_COLUMNS)},
        {", ".join(f"rfm.{c}" for c in RFM_COLUMNS)},
        {", ".join(f"sat.{c}" for c in SATISFACTION_COLUMNS)},
        eng.days_since_last_positive
    from {{db}}.intermediate.int_customer__order_facts as facts
    inner join {{db}}.intermediate.int_customer__rfm as rfm on facts.contact_id = rfm.contact_id
    left join {{db}}.intermediate.int_customer__satisfaction as sat on facts.contact_id = sat.contact_id
    left join {{db}}.intermediate.int_contact__engagement as eng on facts.contact_id = eng.contact_id
    order by facts.contact_id
"""
TRAINING_FEATURES = f"""
    select contact_id, {", ".join(FEATURES)}
    from now.intermediate.int_customer__training_examples
    where cutoff_date = ?
    order by contact_id
"""

NEW_ORDER = "OLEAK00001"
DUPLICATE = "CLEAK001"
LATE_SURVEY = "RLEAK00001"


def _rewrite(path: Path, rows_sql: str) -> None:
    """Append the rows selected by rows_sql (columns by name, the others NULL) to a raw parquet file."""
    tmp = path.with_suffix(".new.parquet")
    duckdb.sql(f"copy (select * from read_parquet('{path}') union all by name {rows_sql}) to '{tmp}' (format parquet)")
    tmp.replace(path)


@pytest.fixture(scope="module")
def raw(pit_raw) -> Path:
    """The session's point-in-time demo data (conftest pit_raw), read-only: `now` changes a copy."""
    return pit_raw


@pytest.fixture(scope="module")
def past(pit_past) -> Path:
    """The original data built as of CUTOFF: what the production models said then (the session's partial build,
    conftest pit_past, which holds this module's production models and those of the other point-in-time module)."""
    assert (CONTACTS, CUTOFF) == (PIT_CONTACTS, PIT_CUTOFF) and set(PRODUCTION_MODELS) <= set(PIT_MODELS)
    return pit_past  # a partial build publishes nothing: read its work database


@pytest.fixture(scope="module")
def changes(raw, past) -> dict:
    """Pick the customers the later rows touch, from the build as of CUTOFF: X (a repeat customer) gets a new order
    after CUTOFF, a refund version of its last order before CUTOFF loaded after it, and a survey submitted before
    CUTOFF but loaded after it; Y gets a duplicate contact with an older creation date, loaded after CUTOFF."""
    con = duckdb.connect(str(past), read_only=True)
    x, = con.execute("""
        select contact_id from intermediate.int_customer__order_facts
        where completed_orders_total >= 2 order by contact_id limit 1
    """).fetchone()
    last_order, = con.execute("""
        select order_id from intermediate.int_orders where contact_id = ? and is_completed
        order by ordered_at desc limit 1
    """, [x]).fetchone()
    y, = con.execute("""
        select facts.contact_id from intermediate.int_customer__order_facts as facts
        inner join staging.stg_crm__contacts as contacts
            on facts.contact_id = contacts.contact_id and contacts.dq_status = 'current'
        where contacts.email is not null and facts.contact_id <> ?
        order by facts.contact_id limit 1
    """, [x]).fetchone()
    con.close()
    return {"x": x, "y": y, "refunded_order": last_order}


@pytest.fixture(scope="module")
def now(raw, changes, tmp_path_factory) -> Path:
    """The changed data built as of END_DATE with the training examples and the production models."""
    changed = tmp_path_factory.mktemp("pit_changed_raw") / "raw"
    shutil.copytree(raw, changed)
    x, y, order = changes["x"], changes["y"], changes["refunded_order"]
    _rewrite(changed / "shop" / "orders.parquet", f"""
        select '{NEW_ORDER}' as order_id, '{x}' as contact_id, timestamp '2026-02-10 10:00:00' as ordered_at,
            'completed' as status, 'EUR' as currency, '500.00' as total_amount, 'web' as channel,
            timestamp '2026-02-10 10:00:00' as updated_at, timestamp '2026-02-10 11:00:00' as _loaded_at
        union all by name
        select order_id, contact_id, ordered_at, 'refunded' as status, currency, total_amount, channel,
            timestamp '2026-03-01 09:00:00' as updated_at, timestamp '2026-03-01 10:00:00' as _loaded_at
        from (select * from read_parquet('{raw / "shop" / "orders.parquet"}') where order_id = '{order}'
              order by _loaded_at desc limit 1)
    """)
    _rewrite(changed / "feedback" / "surveys.parquet", f"""
        select '{LATE_SURVEY}' as response_id, '{x}' as contact_id, timestamp '2025-12-15 10:00:00' as submitted_at,
            0 as nps, 1 as csat, 1.0 as review_rating, timestamp '2026-02-01 10:00:00' as _loaded_at
    """)
    _rewrite(changed / "crm" / "contacts.parquet", f"""
        select '{DUPLICATE}' as contact_id, email, first_name, last_name, country,
            timestamp '2020-01-01 10:00:00' as created_at, timestamp '2026-03-01 10:00:00' as updated_at,
            timestamp '2026-03-01 10:00:00' as _loaded_at
        from (select * from read_parquet('{raw / "crm" / "contacts.parquet"}') where contact_id = '{y}'
              order by _loaded_at desc limit 1)
    """)
    root = tmp_path_factory.mktemp("pit_now")
    res = run_build(changed, root, as_of=END_DATE, select=["+int_customer__training_examples", *PRODUCTION_MODELS])
    assert res.success, res.error
    return root / "build" / "customer_scoring.duckdb"


@pytest.fixture(scope="module")
def con(past, now):
    con = duckdb.connect()
    con.execute(f"attach '{past}' as past (read_only)")
    con.execute(f"attach '{now}' as now (read_only)")
    yield con
    con.close()


def test_spine_has_the_labelled_cutoffs_and_the_scoring_row(con):
    rows = con.execute("""
        select cutoff_date, is_scoring_row, is_labelled, label_window_end
        from now.intermediate.int_predict__cutoffs order by cutoff_date
    """).fetchall()
    labelled = [CUTOFF - dt.timedelta(days=30 * k) for k in range(5, -1, -1)]
    assert rows == [(d, False, True, d + dt.timedelta(days=HORIZON)) for d in labelled] + [(END_DATE, True, False, None)]


def test_features_at_the_cutoff_equal_the_build_as_of_it_and_nothing_later_leaks(con, changes):
    """Same customers, every feature equal, row for row, although the data changed after CUTOFF."""
    expected = con.execute(PRODUCTION_FEATURES.format(db="past")).fetchall()
    actual = con.execute(TRAINING_FEATURES, [CUTOFF]).fetchall()
    assert len(expected) > 50
    assert [r[0] for r in actual] == [r[0] for r in expected]
    assert actual == expected
    # the changed customers are there with their values of CUTOFF (the duplicate did not take Y over)
    customers = {r[0] for r in actual}
    assert {changes["x"], changes["y"]} <= customers and DUPLICATE not in customers


def test_orders_at_the_cutoff_equal_the_build_as_of_it(con):
    columns = ("order_id, contact_id, is_credit_note, order_status, is_completed, is_cancelled, is_refunded, "
               "total_amount, refunded_amount, net_amount, ordered_at")
    expected = con.execute(f"select {columns} from past.intermediate.int_orders order by order_id").fetchall()
    actual = con.execute(f"select {columns} from now.intermediate.int_predict__orders where cutoff_date = ? "
                         "order by order_id", [CUTOFF]).fetchall()
    assert actual == expected


def test_scoring_row_equals_the_as_of_build(con):
    expected = con.execute(PRODUCTION_FEATURES.format(db="now")).fetchall()
    actual = con.execute(TRAINING_FEATURES, [END_DATE]).fetchall()
    assert len(expected) > 50
    assert actual == expected


def test_later_rows_reach_the_labels_and_the_scoring_cutoff(con, changes):
    x, y = changes["x"], changes["y"]
    # the new order is a label of X at CUTOFF: X's label orders are the completed orders of the window as known now
    label_orders, label_revenue, window_orders, window_revenue = con.execute("""
        select t.label_orders, t.label_revenue, count(o.order_id), sum(o.net_amount)
        from now.intermediate.int_customer__training_examples as t
        inner join now.intermediate.int_orders as o
            on o.contact_id = t.contact_id and o.is_completed and o.ordered_on > ? and o.ordered_on <= ?
        where t.cutoff_date = ? and t.contact_id = ?
        group by t.label_orders, t.label_revenue
    """, [CUTOFF, END_DATE, CUTOFF, x]).fetchone()
    assert (label_orders, label_revenue) == (window_orders, window_revenue)
    assert con.execute("select is_completed, net_amount from now.intermediate.int_orders where order_id = ?",
                       [NEW_ORDER]).fetchone() == (True, Decimal("500.00"))
    # the refund version and the late survey are known at the scoring cut-off, not at CUTOFF
    statuses = dict(con.execute("select cutoff_date, order_status from now.intermediate.int_predict__orders "
                                "where order_id = ? and cutoff_date in (?, ?)",
                                [changes["refunded_order"], CUTOFF, END_DATE]).fetchall())
    assert statuses == {CUTOFF: "completed", END_DATE: "refunded"}
    assert con.execute("select contact_id from now.intermediate.int_surveys where response_id = ?",
                       [LATE_SURVEY]).fetchone() == (x,)
    responses = dict(con.execute("select cutoff_date, survey_responses from now.intermediate.int_predict__satisfaction "
                                 "where contact_id = ? and cutoff_date in (?, ?)", [x, CUTOFF, END_DATE]).fetchall())
    then = con.execute("select count(*) from past.intermediate.int_surveys where contact_id = ?", [x]).fetchone()[0]
    known = con.execute("select count(*) from now.intermediate.int_surveys where contact_id = ?", [x]).fetchone()[0]
    assert responses.get(CUTOFF, 0) == then < known == responses[END_DATE]
    # the duplicate became Y's master after CUTOFF: Y is a customer at CUTOFF, the duplicate at the scoring cut-off
    scoring = {r[0] for r in con.execute("select contact_id from now.intermediate.int_customer__training_examples "
                                         "where is_scoring_row").fetchall()}
    assert DUPLICATE in scoring and y not in scoring
    assert con.execute("select as_of_contact_id from now.intermediate.int_predict__labels "
                       "where cutoff_date = ? and contact_id = ?", [CUTOFF, y]).fetchone() == (DUPLICATE,)


def test_purchase_timing_and_btyd_summary_at_the_cutoff(con):
    """The predictive extras recomputed in Python from the orders of the build as of CUTOFF."""
    orders = con.execute("select contact_id, ordered_on, net_amount from past.intermediate.int_orders "
                         "where is_completed").fetchall()
    by_contact: dict[str, dict[dt.date, Decimal]] = {}
    counts: dict[str, list[int]] = {}
    for contact, day, amount in orders:
        days = by_contact.setdefault(contact, {})
        days[day] = days.get(day, Decimal("0")) + amount
        c = counts.setdefault(contact, [0, 0, 0])
        for i, n in enumerate((30, 90, 365)):
            c[i] += day > CUTOFF - dt.timedelta(days=n)
    expected = {}
    for contact, days in by_contact.items():
        ordered = sorted(days)
        x = len(ordered) - 1
        mean_spend = (sum(days[d] for d in ordered[1:]) / x).quantize(Decimal("0.01"), ROUND_HALF_UP) if x else None
        last_gap = (ordered[-1] - ordered[-2]).days if x else None
        expected[contact] = (*counts[contact], last_gap, x, (ordered[-1] - ordered[0]).days,
                             (CUTOFF - ordered[0]).days, mean_spend)
    actual = {r[0]: r[1:] for r in con.execute("""
        select contact_id, orders_30d, orders_90d, orders_365d, last_gap_days, btyd_x, btyd_t_x, btyd_t, btyd_mean_spend
        from now.intermediate.int_customer__training_examples where cutoff_date = ?
    """, [CUTOFF]).fetchall()}
    assert actual == expected
    assert any(v[4] > 0 for v in actual.values()) and any(v[4] == 0 for v in actual.values())


def test_labels_follow_the_window_and_churn_only_repeat_customers(con):
    rows = con.execute("""
        select is_labelled, count(*), count(label_purchase), count(label_churn),
            count(*) filter (where completed_orders_total >= 2), sum(label_purchase), sum(label_churn)
        from now.intermediate.int_customer__training_examples group by is_labelled order by is_labelled
    """).fetchall()
    scoring, labelled = rows
    assert scoring[0] is False and scoring[2:4] == (0, 0)
    assert labelled[0] is True and labelled[2] == labelled[1] and labelled[3] == labelled[4]
    assert 0 < labelled[5] < labelled[1] and 0 < labelled[6] < labelled[3]

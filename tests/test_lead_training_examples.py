"""Point-in-time training examples of leads and campaign response (issue 12, items 1-2): int_lead__training_examples
and int_campaign__training_examples.

Two small builds of 300 demo contacts (the approach of tests/test_training_examples.py):
- `past`: the original raw data built as of CUTOFF (the latest labelled cut-off), with only the production models the
  lead features come from (int_lead__fit_inputs, int_contact__engagement, int_contact__lifecycle) and the customer
  ones of tests/test_training_examples.py: one session build, conftest pit_past, serves both modules;
- `now`: a copy of the raw data with rows loaded after CUTOFF (a new job title of lead X, a demo request of X dated
  before CUTOFF but loaded after it, X's first order, a deal of lead Y created before CUTOFF, loaded and won after it, a
  campaign response of Y dated before CUTOFF but loaded after it, and a campaign Y is sent after CUTOFF and answers),
  built as of END_DATE with the training examples and the same production models.
Every feature of the examples at CUTOFF must equal the production models of `past` (what a build as of CUTOFF
computes, without any of the later rows), the scoring rows must equal the production models of `now`, and the later
rows must reach the labels and the scoring cut-off.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest


from conftest import PIT_CONTACTS, PIT_CUTOFF, PIT_MODELS, run_build

END_DATE = dt.date(2026, 6, 30)
HORIZON = 180
CUTOFF = END_DATE - dt.timedelta(days=HORIZON)  # 2026-01-01, the latest labelled cut-off with the default vars
CONTACTS = 300
RESPONSE_DAYS = 14

FIT = ["is_b2b", "industry_fit", "employee_band_fit", "revenue_band_fit", "country_fit", "job_function_fit",
       "seniority_fit", "age_band_fit", "location_fit"]
ENGAGEMENT = ["engagement_points", "engagement_score", "engagement_level", "high_intent_events",
              "days_since_last_positive"]
LIFECYCLE = ["lead_stage", "open_pipeline_amount"]
PRODUCTION_MODELS = ["+int_lead__fit_inputs", "+int_contact__engagement", "+int_contact__lifecycle"]

# what a build computes for its leads, in the columns of the training examples
PRODUCTION_FEATURES = f"""
    select
        life.contact_id,
        {", ".join(f"fit.{c}" for c in FIT)},
        {", ".join(f"eng.{c}" for c in ENGAGEMENT)},
        {", ".join(f"life.{c}" for c in LIFECYCLE)},
        {{days_since_created}}
    from {{db}}.intermediate.int_contact__lifecycle as life
    inner join {{db}}.intermediate.int_lead__fit_inputs as fit on life.contact_id = fit.contact_id
    inner join {{db}}.intermediate.int_contact__engagement as eng on life.contact_id = eng.contact_id
    where life.population = 'lead'
    order by life.contact_id
"""
TRAINING_FEATURES = f"""
    select contact_id, {", ".join(FIT + ENGAGEMENT + LIFECYCLE)}, days_since_created
    from now.intermediate.int_lead__training_examples
    where cutoff_date = ?
    order by contact_id
"""

NEW_TITLE = "Chief Marketing Officer"
LATE_EVENT = "ELEAK000001"
NEW_ORDER = "OLEAD00001"
WON_DEAL = "OPPLEAK001"
LATE_CAMPAIGN = "CMPLEAK0"
NEXT_CAMPAIGN = "CMPLEAK1"


def _append(path: Path, rows_sql: str) -> None:
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
def changes(past) -> dict:
    """Pick the leads the later rows touch, from the build as of CUTOFF: X, a B2B lead whose role is not marketing
    (the new title changes its job function), and Y, another lead with no deal."""
    con = duckdb.connect(str(past), read_only=True)
    x, function = con.execute("""
        select fit.contact_id, fit.job_function from intermediate.int_lead__fit_inputs as fit
        where fit.is_b2b and fit.job_function <> 'marketing' and fit.contact_id in (
            select contact_id from staging.stg_crm__contacts where dq_status = 'current')
        order by fit.contact_id limit 1
    """).fetchone()
    y, = con.execute("""
        select contact_id from intermediate.int_contact__lifecycle
        where population = 'lead' and not has_open_opportunity and not has_won_opportunity and contact_id <> ?
            and contact_id in (select contact_id from staging.stg_crm__contacts where dq_status = 'current')
        order by contact_id limit 1
    """, [x]).fetchone()
    con.close()
    return {"x": x, "x_function": function, "y": y}


@pytest.fixture(scope="module")
def now(raw, changes, tmp_path_factory) -> Path:
    """The changed data built as of END_DATE with the training examples and the production models."""
    changed = tmp_path_factory.mktemp("lead_pit_changed_raw") / "raw"
    shutil.copytree(raw, changed)
    x, y = changes["x"], changes["y"]
    _append(changed / "crm" / "contacts.parquet", f"""
        select * replace ('{NEW_TITLE}' as job_title, timestamp '2026-02-01 09:00:00' as updated_at,
                          timestamp '2026-02-01 10:00:00' as _loaded_at)
        from (select * from read_parquet('{raw / "crm" / "contacts.parquet"}') where contact_id = '{x}'
              order by _loaded_at desc limit 1)
    """)
    _append(changed / "marketing" / "events.parquet", f"""
        select '{LATE_EVENT}' as event_id, '{x}' as contact_id, 'demo_request' as event_type,
            timestamp '2025-12-20 10:00:00' as occurred_at, timestamp '2026-02-01 10:00:00' as _loaded_at
    """)
    _append(changed / "shop" / "orders.parquet", f"""
        select '{NEW_ORDER}' as order_id, '{x}' as contact_id, timestamp '2026-03-01 10:00:00' as ordered_at,
            'completed' as status, 'EUR' as currency, '250.00' as total_amount, 'web' as channel,
            timestamp '2026-03-01 10:00:00' as updated_at, timestamp '2026-03-01 11:00:00' as _loaded_at
    """)
    _append(changed / "crm" / "opportunities.parquet", f"""
        select '{WON_DEAL}' as opportunity_id, '{y}' as contact_id, timestamp '2025-12-10 10:00:00' as created_at,
            timestamp '2026-02-15 10:00:00' as closed_at, 'closed_won' as stage, true as is_won, '9000.00' as amount,
            'EUR' as currency, timestamp '2026-02-15 11:00:00' as _loaded_at
    """)
    _append(changed / "marketing" / "campaign_members.parquet", f"""
        select '{LATE_CAMPAIGN}' as campaign_id, '{y}' as contact_id, timestamp '2025-12-15 10:00:00' as sent_at,
            timestamp '2025-12-16 10:00:00' as responded_at, false as converted,
            timestamp '2026-02-01 10:00:00' as _loaded_at
        union all by name
        select '{NEXT_CAMPAIGN}' as campaign_id, '{y}' as contact_id, timestamp '2026-01-02 00:30:00' as sent_at,
            timestamp '2026-01-16 09:00:00' as responded_at, false as converted,
            timestamp '2026-01-16 10:00:00' as _loaded_at
    """)
    root = tmp_path_factory.mktemp("lead_pit_now")
    res = run_build(changed, root, as_of=END_DATE,
                    select=["+int_lead__training_examples", "+int_campaign__training_examples", *PRODUCTION_MODELS])
    assert res.success, res.error
    return root / "build" / "customer_scoring.duckdb"


@pytest.fixture(scope="module")
def con(past, now):
    con = duckdb.connect()
    con.execute(f"attach '{past}' as past (read_only)")
    con.execute(f"attach '{now}' as now (read_only)")
    yield con
    con.close()


def _days_since_created(as_of: dt.date) -> str:
    return f"date_diff('day', life.created_at, date '{as_of}') as days_since_created"


def test_lead_features_at_the_cutoff_equal_the_build_as_of_it_and_nothing_later_leaks(con, changes):
    """Same leads, every feature equal, row for row, although contacts, events, deals and responses changed later."""
    expected = con.execute(PRODUCTION_FEATURES.format(db="past", days_since_created=_days_since_created(CUTOFF))
                           ).fetchall()
    actual = con.execute(TRAINING_FEATURES, [CUTOFF]).fetchall()
    assert len(expected) > 50
    assert [r[0] for r in actual] == [r[0] for r in expected]
    assert actual == expected
    leads = {r[0] for r in actual}
    assert {changes["x"], changes["y"]} <= leads
    # every golden contact's engagement, customers included, equals the build as of CUTOFF
    columns = "* exclude (cutoff_date)"
    assert (con.execute(f"select {columns} from now.intermediate.int_predict__contact_engagement where cutoff_date = ? "
                        "order by contact_id", [CUTOFF]).fetchall()
            == con.execute("select * from past.intermediate.int_contact__engagement order by contact_id").fetchall())


def test_scoring_rows_equal_the_as_of_build(con, changes):
    expected = con.execute(PRODUCTION_FEATURES.format(db="now", days_since_created=_days_since_created(END_DATE))
                           ).fetchall()
    actual = con.execute(TRAINING_FEATURES, [END_DATE]).fetchall()
    assert len(expected) > 50
    assert actual == expected
    assert changes["x"] not in {r[0] for r in actual}  # a customer since its order of 2026-03-01


def test_later_rows_reach_the_labels_and_the_scoring_cutoff(con, changes):
    x, y = changes["x"], changes["y"]
    labels = dict(con.execute("select contact_id, label_convert from now.intermediate.int_lead__training_examples "
                              "where cutoff_date = ? and contact_id in (?, ?)", [CUTOFF, x, y]).fetchall())
    assert labels == {x: 1, y: 1}  # X's first order, Y's won deal, both in (CUTOFF, END_DATE]
    # the new title is X's role from its load on, not at CUTOFF
    roles = dict(con.execute("select cutoff_date, job_function from now.intermediate.int_predict__job_roles "
                             "where contact_id = ? and cutoff_date in (?, ?)", [x, CUTOFF, END_DATE]).fetchall())
    assert roles == {CUTOFF: changes["x_function"], END_DATE: "marketing"}
    # the late demo request counts at the scoring cut-off only
    events = dict(con.execute("select cutoff_date, count(*) from now.intermediate.int_predict__contact_event_days "
                              "where contact_id = ? and event_type = 'demo_request' and event_on = date '2025-12-20' "
                              "and cutoff_date in (?, ?) group by cutoff_date", [x, CUTOFF, END_DATE]).fetchall())
    assert events == {END_DATE: 1}


def test_conversion_labels_are_the_orders_and_won_deals_of_the_window(con):
    """Every label of every past cut-off recomputed in Python from the as-of build's orders, deals and contact map."""
    master = dict(con.execute("select contact_id, master_contact_id from now.intermediate.int_contacts__identity"
                              ).fetchall())
    events: dict[str, list[dt.date]] = {}
    for contact, day in con.execute("""
        select contact_id, ordered_on from now.intermediate.int_orders where is_completed
        union all
        select contact_id, cast(closed_at as date) from now.intermediate.int_opportunities
        where is_won and contact_id is not null
    """).fetchall():
        events.setdefault(contact, []).append(day)
    rows = con.execute("""
        select t.cutoff_date, t.contact_id, t.label_convert, c.label_window_end
        from now.intermediate.int_lead__training_examples as t
        inner join now.intermediate.int_predict__cutoffs as c on t.cutoff_date = c.cutoff_date
        where t.is_labelled
    """).fetchall()
    assert len(rows) > 300
    expected = [int(any(d > cutoff and d <= end for d in events.get(master.get(contact, contact), [])))
                for cutoff, contact, _, end in rows]
    assert [r[2] for r in rows] == expected
    assert 0 < sum(expected) < len(expected)
    assert con.execute("select count(*), count(label_convert) from now.intermediate.int_lead__training_examples "
                       "where is_scoring_row").fetchone()[1] == 0


def test_campaign_examples_at_the_cutoff(con, changes):
    """Engagement and customer flag as the build as of CUTOFF had them; the campaign history is what that build knew
    (the response loaded after CUTOFF is not in it); the label is the first send of the window."""
    y = changes["y"]
    actual = con.execute(f"""
        select contact_id, is_customer, {", ".join(ENGAGEMENT)}, campaign_sends, campaign_responses
        from now.intermediate.int_campaign__training_examples where cutoff_date = ? order by contact_id
    """, [CUTOFF]).fetchall()
    expected = con.execute(f"""
        select life.contact_id, life.is_customer, {", ".join(f"eng.{c}" for c in ENGAGEMENT)},
            coalesce(sends.sends, 0), coalesce(sends.responses, 0)
        from past.intermediate.int_contact__lifecycle as life
        inner join past.intermediate.int_contact__engagement as eng on life.contact_id = eng.contact_id
        left join (
            select contact_id, count(*) as sends, count(responded_at) as responses
            from past.intermediate.int_campaign_members group by contact_id
        ) as sends on life.contact_id = sends.contact_id
        where life.contact_id in (select unnest(?))
        order by life.contact_id
    """, [[r[0] for r in actual]]).fetchall()
    assert len(actual) > 30 and any(r[1] for r in actual) and not all(r[1] for r in actual)
    assert actual == expected
    row = con.execute("""
        select next_campaign_id, next_sent_on, label_response from now.intermediate.int_campaign__training_examples
        where cutoff_date = ? and contact_id = ?
    """, [CUTOFF, y]).fetchone()
    assert row == (NEXT_CAMPAIGN, dt.date(2026, 1, 2), 1)  # answered on 01-16: 14 days, within the default 14
    # Y's late-loaded response is history at the scoring cut-off
    assert con.execute("select campaign_responses >= 2 from now.intermediate.int_campaign__training_examples "
                       "where cutoff_date = ? and contact_id = ?", [END_DATE, y]).fetchone() == (True,)
    # the scoring cut-off has every golden contact of the as-of build, unlabelled
    scoring = con.execute("select count(*), count(label_response) from now.intermediate.int_campaign__training_examples"
                          " where is_scoring_row").fetchone()
    assert scoring == (con.execute("select count(*) from now.intermediate.int_contact__lifecycle").fetchone()[0], 0)

"""The same dbt project built on PostgreSQL gives the same accounting of every raw row as on DuckDB."""
from __future__ import annotations

import pytest

from conftest import END_DATE, connect_postgres
from customer_scoring import runner

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def pg():
    conn = connect_postgres()
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def pg_built(pg, demo_raw, tmp_path_factory):
    from customer_scoring import postgres

    counts = postgres.load_raw(demo_raw)
    assert counts["shop.orders"] > 0
    root = tmp_path_factory.mktemp("pg")
    # the unit tests too (the macros' PostgreSQL variants on the hand-made rows), not the intermediate models' data
    # tests (tag structural): they hold what the project's SQL guarantees, checked once on DuckDB in the session's
    # `built`; the marts made from those models are compared with DuckDB's below (about 35 s saved)
    res = runner.build(runner.BuildSettings(as_of=END_DATE, target="postgres", raw_path=demo_raw,
                                            work_dir=root / "build", publish_dir=root / "publish", unit_tests=True,
                                            exclude=["tag:structural"]))
    assert res.success, res.error
    return res


def fetch_pg(pg, sql):
    with pg.cursor() as cur:
        cur.execute(sql)
        return sorted(tuple(r) for r in cur.fetchall())


def test_reconciliation_is_identical_on_postgres(pg, pg_built, pub):
    sql = ("select source_table, raw_rows, kept_rows, quarantined_rows, merged_rows, after_as_of_rows "
           "from audit.dq_reconciliation")
    duck = sorted(tuple(r) for r in pub.execute(sql).fetchall())
    assert fetch_pg(pg, sql) == duck


def test_quarantine_is_identical_on_postgres(pg, pg_built, pub):
    sql = "select quarantine_id, reason_code from audit.quarantine"
    duck = sorted(tuple(r) for r in pub.execute(sql).fetchall())
    assert fetch_pg(pg, sql) == duck


def test_repairs_are_identical_on_postgres(pg, pg_built, pub):
    sql = "select repair_id, repaired_rows from audit.dq_repairs"
    assert fetch_pg(pg, sql) == sorted(tuple(r) for r in pub.execute(sql).fetchall())


def test_postgres_publication_leaves_only_history_in_build_schemas(pg, pg_built):
    """The mvcc publication copies marts and audit into the public schemas and drops the build's copies, but for the
    history tables (meta.history_tables) that the next build appends to."""
    names = {r[0] for r in fetch_pg(pg, "select schema_name from information_schema.schemata")}
    assert {"audit", "marts"} <= names
    history = set(fetch_pg(pg, "select schema_name, table_name from meta.history_tables"))
    assert ("audit", "erasure_log") in history and ("marts", "score_history") in history
    left = fetch_pg(pg, "select substr(table_schema, 7), table_name from information_schema.tables "
                        "where table_schema in ('build_marts', 'build_audit')")
    assert left and set(left) <= history, f"build copies left beside the history tables: {set(left) - history}"
    published = set(fetch_pg(pg, "select table_schema, table_name from information_schema.tables "
                                 "where table_schema in ('marts', 'audit')"))
    assert history <= published and ("marts", "customer_scores") in published
    assert fetch_pg(pg, "select count(*) from meta.publication")[0][0] >= 1


def test_every_postgres_table_is_analysed_as_it_is_built(pg, pg_built):
    """Each model's table is analysed by its post-hook (macro analyze_relation, D97): what reads it is planned on its
    statistics, not on the one-row guess PostgreSQL makes for a table autovacuum has not reached."""
    rows = fetch_pg(pg, "select relname, last_analyze is not null from pg_stat_user_tables "
                        "where schemaname in ('build_staging', 'build_intermediate')")
    assert len(rows) > 50
    never = sorted(name for name, analysed in rows if not analysed)
    assert not never, f"tables built without analyze: {never[:10]}"


def test_postgres_sessions_run_without_jit():
    """dbt's PostgreSQL sessions get `-c jit=off` beside the user's own PGOPTIONS, unless the user set jit (D97)."""
    assert runner.pg_options("") == "-c jit=off"
    assert runner.pg_options("-c work_mem=256MB") == "-c work_mem=256MB -c jit=off"
    assert runner.pg_options("-c jit=on") == "-c jit=on"
    settings = runner.BuildSettings(as_of=END_DATE, target="postgres")
    assert "jit=off" in runner._dbt_env(settings, runner.project_dir())["PGOPTIONS"]
    assert "PGOPTIONS" not in runner._dbt_env(runner.BuildSettings(as_of=END_DATE), runner.project_dir())


# --- customer scores: the same on both engines, to the cent and to the letter ------------------------------------

def fetch_duck(pub, sql):
    return sorted(tuple(r) for r in pub.execute(sql).fetchall())


def first_differences(left, right, n=5):
    only_left = sorted(set(left) - set(right))[:n]
    only_right = sorted(set(right) - set(left))[:n]
    return f"duckdb only: {only_left}\npostgres only: {only_right}"


def test_customer_profile_scores_are_identical_on_postgres(pg, pg_built, pub):
    # decimals compared as text: the same value and the same scale (12.50, not 12.5)
    sql = ("select contact_id, profile, cast(score as varchar(40)), tier, recommended_action, top_factors "
           "from marts.customer_profile_scores")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck, "no customer scores to compare"
    assert post == duck, first_differences(duck, post)


def test_customer_scores_are_identical_on_postgres(pg, pg_built, pub):
    sql = ("select contact_id, rfm_cell, rfm_segment, r_score, f_score, m_score, cast(recency_days as integer), "
           "cast(frequency_orders as integer), cast(monetary_net as varchar(40)), primary_profile, "
           "cast(primary_score as varchar(40)), primary_tier from marts.customer_scores")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck, "no customers to compare"
    assert post == duck, first_differences(duck, post)


def test_customer_score_factors_are_identical_on_postgres(pg, pg_built, pub):
    sql = ("select contact_id, profile, factor, factor_kind, cast(points as varchar(40)) "
           "from marts.customer_score_factors")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck
    assert post == duck, first_differences(duck, post)


# --- lead and account scores: the same on both engines -----------------------------------------------------------

def test_lead_scores_are_identical_on_postgres(pg, pg_built, pub):
    sql = ("select contact_id, lead_stage, is_b2b, job_function, seniority, cast(fit_score as varchar(40)), fit_grade, "
           "cast(engagement_points as varchar(40)), cast(engagement_score as varchar(40)), engagement_level, "
           "cast(lead_score as varchar(40)), tier, matrix_cell, is_mql, mql_rule, top_factors from marts.lead_scores")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck, "no leads to compare"
    assert post == duck, first_differences(duck, post)


def test_account_scores_are_identical_on_postgres(pg, pg_built, pub):
    sql = ("select account_id, industry, employee_band, revenue_band, engaged_contacts, functions_engaged, "
           "cast(best_lead_score as varchar(40)), cast(open_pipeline_amount as varchar(40)), "
           "cast(won_revenue as varchar(40)), cast(account_score as varchar(40)), tier, top_factors "
           "from marts.account_scores")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck, "no accounts to compare"
    assert post == duck, first_differences(duck, post)


def test_enrichment_coverage_is_identical_on_postgres(pg, pg_built, pub):
    sql = "select * from marts.enrichment_coverage"
    duck = fetch_duck(pub, sql)
    post = [tuple(str(v) if v is not None else None for v in r) for r in fetch_pg(pg, sql)]
    duck = [tuple(str(v) if v is not None else None for v in r) for r in duck]
    assert duck and sorted(post) == sorted(duck), first_differences(duck, post)


# --- score history: the same rows of the build's date on both engines ----------------------------------------------

@pytest.mark.parametrize("sql", [
    "select cast(as_of_date as varchar(10)), profile, entity_type, entity_id, cast(score as varchar(10)), tier, "
    "top_factors from marts.score_history where as_of_date = '{d}'",
    "select cast(as_of_date as varchar(10)), profile, entity_id, factor, factor_kind, cast(points as varchar(30)), "
    "cast(normalized_value as varchar(30)) from marts.score_factor_history where as_of_date = '{d}'",
], ids=["score_history", "score_factor_history"])
def test_score_history_is_identical_on_postgres(pg, pg_built, pub, sql):
    sql = sql.format(d=END_DATE.isoformat())
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck, "no history rows to compare"
    assert post == duck, first_differences(duck, post)


# --- predictive scoring: the training examples are the same on both engines ---------------------------------------

@pytest.mark.parametrize("model", ["int_customer__training_examples", "int_lead__training_examples",
                                   "int_campaign__training_examples"])
def test_training_examples_are_identical_on_postgres(pg, pg_built, built, model):
    """Every cut-off, feature and label of the training examples, to the cent and the scale (as text)."""
    import duckdb

    from conftest import work_db

    duck_con = duckdb.connect(str(work_db(built)), read_only=True)
    columns = [r[0] for r in duck_con.execute(
        "select column_name from information_schema.columns where table_schema = 'intermediate' "
        f"and table_name = '{model}' order by ordinal_position").fetchall()]
    select = ", ".join(f"cast({c} as varchar(60))" for c in columns)
    duck = fetch_duck(duck_con, f"select {select} from intermediate.{model}")
    duck_con.close()
    schema = fetch_pg(pg, f"select table_schema from information_schema.tables where table_name = '{model}'")[0][0]
    post = fetch_pg(pg, f"select {select} from {schema}.{model}")
    assert len(columns) > 10 and duck, "no training examples to compare"
    assert post == duck, first_differences(duck, post)


# --- predictions: the same probabilities, models and evaluation on both engines ----------------------------------

def test_predictions_are_identical_on_postgres(pg, pg_built, pub):
    """The predict step reads the training examples from each engine and writes back; the marts carry the same
    probabilities (6 places), expected orders and revenue, and model ids."""
    sql = ("select contact_id, cast(p_purchase as varchar(40)), cast(expected_orders as varchar(40)), "
           "cast(expected_revenue as varchar(40)), cast(p_alive as varchar(40)), cast(churn_risk as varchar(40)), "
           "cast(p_campaign_response as varchar(40)), p_purchase_model, expected_revenue_model, churn_risk_model "
           "from marts.customer_scores")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck and any(r[1] is not None for r in duck), "no predictions to compare"
    assert post == duck, first_differences(duck, post)
    sql = ("select contact_id, cast(p_convert as varchar(40)), cast(p_campaign_response as varchar(40)), "
           "p_convert_model from marts.lead_scores")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert post == duck, first_differences(duck, post)


def test_model_evaluation_and_status_are_identical_on_postgres(pg, pg_built, pub):
    sql = ("select target, model_name, coalesce(model_id, '-'), cast(cutoff_date as varchar(10)), is_baseline, "
           "is_chosen, examples, positives, cast(auc as varchar(40)), cast(brier as varchar(40)), "
           "cast(mae as varchar(40)) from marts.model_evaluation")
    duck, post = fetch_duck(pub, sql), fetch_pg(pg, sql)
    assert duck, "no evaluation to compare"
    assert post == duck, first_differences(duck, post)
    sql = "select target, status, message, coalesce(model_id, '-') from marts.model_status"
    assert fetch_pg(pg, sql) == fetch_duck(pub, sql)


# --- offers: the same on both engines (the session's full PostgreSQL build holds them) ----------------------------
OFFER_COMPARED = {
    "next_best_offers": "select contact_id, offer_rank, product_id, category, cast(offer_score as varchar(20)), "
                        "reason, profile from marts.next_best_offers",
    "offer_scores": "select * from marts.offer_scores",
    "offer_evaluation": "select method, k, offer_grain, evaluation_cutoff_date, window_end, window_days, "
                        "entities_with_offers, entities_evaluated, relevant_items, items_offered, hits, entities_hit, "
                        "cast(precision_at_k as varchar(20)), cast(recall_at_k as varchar(20)), "
                        "cast(hit_rate_at_k as varchar(20)), cast(lift_vs_popularity as varchar(20)), "
                        "cast(lift_vs_buy_again as varchar(20)) from marts.offer_evaluation",
}


def as_text(rows):
    """Every value as text (decimals keep their scale, dates their ISO form), rows sorted."""
    return sorted(tuple(None if v is None else str(v) for v in r) for r in rows)


@pytest.mark.parametrize("table", sorted(OFFER_COMPARED))
def test_offers_are_identical_on_postgres(pg, pg_built, pub, table):
    sql = OFFER_COMPARED[table]
    duck = as_text(pub.execute(sql).fetchall())
    with pg.cursor() as cur:
        cur.execute(sql)
        post = as_text(cur.fetchall())
    assert duck, f"{table}: no rows on DuckDB"
    assert post == duck, first_differences(duck, post)


# --- the BI role (issue 15): reads the published marts and audit, not personal data, raw or work schemas --------

def test_bi_role_reads_marts_but_not_pii_raw_or_work_schemas(pg, pg_built):
    from psycopg2 import errors

    from customer_scoring import publish

    def as_bi(sql):
        with pg.cursor() as cur:
            cur.execute("set role customer_scoring_bi")
            try:
                cur.execute(sql)
                return cur.fetchall()
            finally:
                pg.rollback()

    with pg.cursor() as cur:
        cur.execute("select rolcanlogin from pg_roles where rolname = 'customer_scoring_bi'")
        assert cur.fetchall() == [(False,)]
        cur.execute("select count(*) from build_pii.contacts")
        assert cur.fetchone()[0] > 0  # the owner reads it
        publish.pg_grant_bi(cur)  # idempotent: a second publication changes nothing
    pg.commit()
    assert as_bi("select count(*) from marts.customer_scores")[0][0] > 0
    assert as_bi("select count(*) from audit.dq_reconciliation")[0][0] > 0
    for relation in ("build_pii.contacts", "raw_crm.contacts", "build_staging.stg_crm__contacts",
                     "build_intermediate.int_contacts"):
        with pytest.raises(errors.InsufficientPrivilege):
            as_bi(f"select count(*) from {relation}")


# --- activation marts: the same on both engines (a single-date build: the trigger log is empty on both) ------------
ACTIVATION_COMPARED = {
    "audience_members": "select audience, channel, as_of_date, entity_type, entity_id, contact_id, profile, "
                        "cast(score as varchar(10)), tier, recommended_action from marts.audience_members",
    "audience_exclusions": "select * from marts.audience_exclusions",
    "activation_triggers": "select * from marts.activation_triggers",
}


@pytest.mark.parametrize("table", sorted(ACTIVATION_COMPARED))
def test_activation_marts_are_identical_on_postgres(pg, pg_built, pub, table):
    sql = ACTIVATION_COMPARED[table]
    duck = as_text(pub.execute(sql).fetchall())
    with pg.cursor() as cur:
        cur.execute(sql)
        post = as_text(cur.fetchall())
    if table != "activation_triggers":
        assert duck, f"{table}: no rows on DuckDB"
    assert post == duck, first_differences(duck, post)


# --- activation exports: the same files from both engines (issue 15) ----------------------------------------------

def test_activation_exports_are_identical_on_postgres(pg_built, built):
    """The PostgreSQL build's export set (read from the build_* schemas before its publication) is byte for byte the
    DuckDB build's: every audience's CSV and Parquet file, the triggers and the manifest but for its run id."""
    duck, post = built.exports, pg_built.exports
    assert duck is not None and post is not None, "a build exported nothing"
    names = sorted(p.name for p in duck.iterdir())
    assert sorted(p.name for p in post.iterdir()) == names and "manifest.json" in names
    for name in names:
        left, right = (duck / name).read_bytes(), (post / name).read_bytes()
        if name == "manifest.json":
            left = left.replace(built.run_id.encode(), b"<run id>")
            right = right.replace(pg_built.run_id.encode(), b"<run id>")
        assert left == right, name


# --- the visual report read from the PostgreSQL publication (issue 17) ---------------------------------------------

def test_report_of_the_postgres_publication(pg, pg_built, tmp_path):
    """`customer-scoring report --target postgres` reads the published schemas of this build (no other build): the
    page renders in headless Chromium without a console message, every chart drew, and the numbers it shows equal
    SQL on PostgreSQL (tier sizes, quarantined rows per table, each audience's reached entities)."""
    from test_report import ReportDom, _chromium

    from customer_scoring import cli

    out = tmp_path / "report.html"
    assert cli.main(["report", "--target", "postgres", "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert "<dt>source</dt><dd>postgres</dd>" in page and f"as of {END_DATE}" in page
    run = _chromium("--window-size=1280,1000", "--dump-dom", out.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], "\n".join(console)
    dom = ReportDom()
    dom.feed(run.stdout)
    assert not [name for name, c in dom.charts.items() if c["marks"] == 0], "a chart without a data mark"
    for section in ("scores", "rfm", "leads", "offers", "activation", "data-quality"):
        assert any(name.startswith(section + "-") for name in dom.charts), section

    def shown(metric):
        return {k: int(v.replace(",", "")) for (m, k), v in dom.metrics.items() if m == metric}

    def sql(query):
        with pg.cursor() as cur:
            cur.execute(query)
            return {"/".join(str(c) for c in r[:-1]): int(r[-1]) for r in cur.fetchall()}

    tiers = sql("select profile, tier, count(*) from marts.customer_profile_scores group by 1, 2")
    tiers |= {f"lead/{k}": n for k, n in sql("select tier, count(*) from marts.lead_scores group by 1").items()}
    assert {k: n for k, n in shown("tier-count").items() if not k.startswith("account/")} == tiers
    assert shown("quarantine-count") == sql("select source_table, count(*) from audit.quarantine group by 1")
    reached = sql("select audience, count(*) from marts.audience_members group by 1")
    assert reached and {k: n for k, n in shown("audience-reached").items() if n} == reached


def test_incremental_staging_on_postgres(pg, pg_built, built, demo_raw):
    """A second build in the PostgreSQL work folder stages incrementally (D104): only the keys with rows loaded or
    dated after the as-of date are staged again, with PostgreSQL's hash and delete, and every staged row keeps the
    status DuckDB gives it. (Last in the module: it rebuilds the staging tables the other tests do not read.)"""
    import duckdb

    from conftest import work_db

    models = ["base_marketing__events_refresh", "base_shop__orders_refresh", "base_shop__order_items_refresh",
              "stg_marketing__events", "stg_shop__orders", "stg_shop__order_items"]
    work = pg_built.result_file.parent.parent
    res = runner.build(runner.BuildSettings(as_of=END_DATE, target="postgres", raw_path=demo_raw, work_dir=work,
                                            publish_dir=work.parent / "publish", select=models,
                                            exclude=["resource_type:test"]))
    assert res.success, res.error
    assert res.refresh["mode"] == "incremental", res.refresh
    kinds = fetch_pg(pg, "select 'events', row_kind, count(*) from build_staging.base_marketing__events_refresh "
                         "group by 1, 2 union all select 'orders', row_kind, count(*) "
                         "from build_staging.base_shop__orders_refresh group by 1, 2")
    assert {(t, k) for t, k, _n in kinds} <= {("events", "key"), ("events", "history"), ("orders", "key"),
                                               ("orders", "history")}, kinds
    duck = duckdb.connect(str(work_db(built)), read_only=True)
    try:
        for table in models[3:]:
            sql = f"select dq_status, coalesce(dq_reason_code, ''), count(*) from {{s}}.{table} group by 1, 2"
            assert fetch_pg(pg, sql.format(s="build_staging")) == sorted(
                tuple(r) for r in duck.execute(sql.format(s="staging")).fetchall()), table
    finally:
        duck.close()

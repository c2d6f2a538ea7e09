"""Every kind of mess the generator injects is repaired (and counted) or quarantined with its reason, and every
raw row is accounted for. The generator's manifest says how many rows of each kind it wrote."""
from __future__ import annotations

import duckdb
import pytest

from conftest import work_db


def q(pub, sql, *params):
    return pub.execute(sql, list(params)).fetchall()


def quarantined(pub, table, reason):
    return q(pub, "select count(*) from audit.quarantine where source_table = ? and reason_code = ?",
             table, reason)[0][0]


@pytest.fixture(scope="module")
def work(built):
    con = duckdb.connect(str(work_db(built)), read_only=True)
    yield con
    con.close()


def erased(work, table, reason):
    """Rows of `table` with the defect `reason` that belong to people the demo's erasure requests erase: staged with
    dq_status 'erased' (never quarantined: the quarantine would keep a trace of them), their defect kept."""
    staging = "stg_" + table.replace(".", "__")
    return q(work, f"select count(*) from staging.{staging} where dq_status = 'erased' and dq_reason_code = ?",
             reason)[0][0]


def repaired(pub, table, reason):
    rows = q(pub, "select repaired_rows from audit.dq_repairs where source_table = ? and reason_code = ?",
             table, reason)
    return rows[0][0] if rows else 0


def reconciliation(pub, table):
    cols = ["raw_rows", "kept_rows", "quarantined_rows", "merged_rows", "after_as_of_rows", "is_reconciled"]
    row = q(pub, f"select {', '.join(cols)} from audit.dq_reconciliation where source_table = ?", table)[0]
    return dict(zip(cols, row))


# (table, mess kind) -> quarantine reason code: each injected row is quarantined with exactly this reason.
QUARANTINED = {
    ("shop.orders", "null_date"): "missing_date",
    ("shop.orders", "future_date"): "future_date",
    ("shop.orders", "negative_amount"): "negative_amount",
    ("shop.orders", "non_numeric_amount"): "non_numeric_amount",
    ("shop.orders", "unknown_currency"): "unknown_currency",
    ("shop.orders", "orphan_contact"): "orphan_contact",
    ("shop.orders", "unknown_status"): "unknown_status",
    ("shop.orders", "unknown_credited_order"): "unknown_credited_order",
    ("shop.order_items", "orphan_order"): "orphan_order",
    ("marketing.events", "unknown_event_type"): "unknown_event_type",
    ("marketing.events", "null_date"): "missing_date",
    ("marketing.events", "future_date"): "future_date",
    ("marketing.events", "orphan_contact"): "orphan_contact",
    ("feedback.surveys", "null_date"): "missing_date",
    ("feedback.surveys", "orphan_contact"): "orphan_contact",
}

# (table, mess kind) -> repair reason code counted in audit.dq_repairs, on the kept versions.
REPAIRED = {
    ("crm.contacts", "invalid_email"): "invalid_email",
    ("crm.contacts", "orphan_account"): "orphan_account",
    ("shop.orders", "status_case"): "status_normalised",
    ("feedback.surveys", "nps_out_of_range"): "nps_out_of_range",
    ("feedback.surveys", "csat_out_of_range"): "csat_out_of_range",
    ("enrichment.firmographics", "domain_case"): "domain_normalised",
}

# Kinds whose rows may share a repair with clean rows written in another form (e.g. a same-domain duplicate
# account's website is also a URL): the repair count is at least the injected count.
REPAIRED_AT_LEAST = {
    ("crm.accounts", "website_url"): "website_normalised",
    ("crm.accounts", "country_variant"): "country_normalised",
    ("crm.contacts", "country_variant"): "country_normalised",
}


@pytest.mark.parametrize("table,kind", sorted(QUARANTINED))
def test_injected_defect_is_quarantined_with_its_reason(pub, work, manifest, table, kind):
    injected = manifest["mess"][table][kind]
    assert injected > 0, f"the generator injected no {kind} into {table}: the test would prove nothing"
    reason = QUARANTINED[(table, kind)]
    assert quarantined(pub, table, reason) + erased(work, table, reason) == injected


@pytest.mark.parametrize("table,kind", sorted(REPAIRED))
def test_injected_defect_is_repaired_and_counted(pub, manifest, table, kind):
    injected = manifest["mess"][table][kind]
    assert injected > 0
    assert repaired(pub, table, REPAIRED[(table, kind)]) == injected


@pytest.mark.parametrize("table,kind", sorted(REPAIRED_AT_LEAST))
def test_injected_variant_is_normalised(pub, manifest, table, kind):
    injected = manifest["mess"][table][kind]
    assert injected > 0
    assert repaired(pub, table, REPAIRED_AT_LEAST[(table, kind)]) >= injected


def test_no_unrecognised_country_is_left(pub):
    assert repaired(pub, "crm.contacts", "unknown_country") == 0
    assert repaired(pub, "crm.accounts", "unknown_country") == 0


def erased_merges(work, table):
    """The rows of erased people that would have been merged: their visible, otherwise valid rows beyond one per key
    (superseded versions) and, for contacts, beyond one per person (identity merges)."""
    if table == "crm.accounts":  # a company is not a person
        return 0
    staging, key = {"crm.contacts": ("stg_crm__contacts", "contact_id"),
                    "shop.orders": ("stg_shop__orders", "order_id"),
                    "marketing.events": ("stg_marketing__events", "event_id")}[table]
    rows, keys = q(work, f"select count(*), count(distinct {key}) from staging.{staging} "
                         "where dq_status = 'erased' and dq_reason_code = 'erased' and is_visible")[0]
    if table != "crm.contacts":
        return rows - keys
    people = q(work, """
        select count(distinct first_request) from (
            select contact_id, min(request_id) as first_request from staging.base_crm__erased_contacts
            group by contact_id
        ) as erased
        where contact_id in (select contact_id from staging.stg_crm__contacts
                             where dq_status = 'erased' and dq_reason_code = 'erased' and is_visible)
    """)[0][0]
    return rows - people


@pytest.mark.parametrize("table", ["crm.accounts", "crm.contacts", "shop.orders", "marketing.events"])
def test_duplicate_versions_are_merged(pub, work, manifest, table):
    injected = manifest["mess"][table]["duplicate_id"]
    assert injected > 0
    superseded = q(pub, "select merged_rows from audit.dq_reconciliation where source_table = ?", table)[0][0]
    identity = {"crm.accounts": "same_domain", "crm.contacts": "email_case_duplicate"}.get(table)
    expected = injected + (manifest["mess"][table][identity] if identity else 0)
    if table == "crm.contacts":  # plus each customer's earlier (lead-time) version of the record: history
        expected += manifest["info"]["contact_prior_versions"]
    # the demo's erasure requests: an erased person's duplicates are counted as erased_rows, not merged
    assert superseded + erased_merges(work, table) == expected


def test_earlier_opportunity_versions_are_merged(pub, manifest):
    """The open version of a deal closed by the as-of date is superseded by the closed one, never kept beside it."""
    merged, after = q(pub, "select merged_rows, after_as_of_rows from audit.dq_reconciliation "
                           "where source_table = 'crm.opportunities'")[0]
    assert merged == manifest["info"]["opportunity_prior_versions"] and after == 0


def test_lines_of_quarantined_orders_follow_them(pub):
    parents = q(pub, "select count(*) from audit.quarantine where source_table = 'shop.order_items' "
                     "and reason_code = 'parent_quarantined'")[0][0]
    assert parents > 0


def test_every_raw_table_reconciles(pub, manifest):
    rows = q(pub, "select source_table, raw_rows, kept_rows + quarantined_rows + merged_rows + after_as_of_rows "
                  "+ erased_rows, is_reconciled from audit.dq_reconciliation")
    assert {r[0] for r in rows} == set(manifest["rows"])
    for table, raw, accounted, ok in rows:
        assert raw == manifest["rows"][table], f"{table}: staging saw {raw} rows, the generator wrote it"
        assert raw == accounted and ok, f"{table}: {raw} raw rows but {accounted} accounted for"


def test_quarantine_reasons_are_readable(pub):
    rows = q(pub, "select reason_code, reason from audit.quarantine where reason like 'Unknown reason%' limit 5")
    assert rows == []


def test_merged_contacts_follow_their_master(built):
    """Orders of a contact merged into another golden contact are attached to the master."""
    import duckdb

    work = duckdb.connect(str(built.publication.parent.parent / "build" / "customer_scoring.duckdb"), read_only=True)
    try:
        merged_orders, attached = work.execute("""
            select count(*), count(*) filter (where o.contact_id = m.master_contact_id)
            from intermediate.int_orders as o
            inner join intermediate.int_contacts__identity as m on o.source_contact_id = m.contact_id
            where m.is_merged
        """).fetchone()
        golden = work.execute("select count(*) from intermediate.int_orders o "
                              "left join intermediate.int_contacts c on o.contact_id = c.contact_id "
                              "where c.contact_id is null").fetchone()[0]
    finally:
        work.close()
    assert merged_orders > 0 and merged_orders == attached
    assert golden == 0, "every clean order belongs to a golden contact"

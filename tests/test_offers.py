"""Offers (issue 14): next_best_offers judged on what the demo customers bought next, and point in time. The same
offers on PostgreSQL are checked by tests/test_postgres_build.py on the session's PostgreSQL build.

- Evaluation: `marts.offer_evaluation` of the session's published demo build (2,000 contacts, `built`: no build of
  its own; its dbt data and unit tests run there) says next_best_offers beats the popularity and buy-again baselines
  on hit rate at K = 3, and the offer marts have the issue's public columns.
- Point in time: one selected build (+int_offer__scores, no dbt tests) of the same raw data with rows appended that
  a build at the evaluation cut-off must not see (orders and lines dated in the window; orders dated before the
  cut-off but loaded after it; a later version of orders and lines made before the cut-off: refunded, another
  product; product page views after the cut-off or loaded after it; a later version of two products). They build
  one co-purchase pair in 60 customer baskets, so the co-purchase statistics of the as-of date change; the cut-off
  rows of every offer model must not.
"""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import END_DATE, run_build, work_db

WINDOW_DAYS = 90  # var offer_evaluation_window_days
CUTOFF = END_DATE - dt.timedelta(days=WINDOW_DAYS)
TOP_K = 3  # var offer_top_k
METHODS = ("next_best_offers", "popularity", "buy_again")
OFFER_MODELS = ["int_offer__products", "int_offer__purchases", "int_offer__entities", "int_offer__views",
                "int_offer__co_purchase", "int_offer__popularity", "int_offer__candidates", "int_offer__scores"]
EVALUATION_COLUMNS = ("method, k, offer_grain, evaluation_cutoff_date, window_end, window_days, entities_with_offers, "
                      "entities_evaluated, relevant_items, items_offered, hits, entities_hit, "
                      "cast(precision_at_k as varchar(20)), cast(recall_at_k as varchar(20)), "
                      "cast(hit_rate_at_k as varchar(20)), cast(lift_vs_popularity as varchar(20)), "
                      "cast(lift_vs_buy_again as varchar(20))")


def evaluation_table(rows: list[tuple]) -> str:
    """offer_evaluation rows (EVALUATION_COLUMNS) as a readable table."""
    lines = [f"{'method':<17} {'k':>2} {'judged':>6} {'precision':>9} {'recall':>9} {'hit rate':>9} "
             f"{'lift pop':>8} {'lift buy':>8}"]
    for r in sorted(rows, key=lambda r: (METHODS.index(r[0]), r[1])):
        lines.append(f"{r[0]:<17} {r[1]:>2} {r[7]:>6} {r[12] or '-':>9} {r[13] or '-':>9} {r[14] or '-':>9} "
                     f"{r[15] or '-':>8} {r[16] or '-':>8}")
    return "\n".join(lines)


# --- the evaluation of the session's demo build ------------------------------------------------------------------

def test_next_best_offers_beat_both_baselines_on_hit_rate_at_3(pub):
    rows = pub.execute(f"select {EVALUATION_COLUMNS} from marts.offer_evaluation").fetchall()
    table = evaluation_table(rows)
    print(f"\noffer_evaluation, demo build as of {END_DATE}:\n{table}")
    assert sorted((r[0], r[1]) for r in rows) == sorted((m, k) for m in METHODS for k in range(1, TOP_K + 1))
    at_3 = {r[0]: r for r in rows if r[1] == 3}
    judged = at_3["next_best_offers"][7]
    assert judged >= 200, f"too few entities judged for a comparison ({judged}):\n{table}"
    assert all(at_3[m][7] == judged and at_3[m][3] == CUTOFF for m in METHODS), table
    nbo, pop, buy = (at_3[m][11] for m in METHODS)  # entities hit: the same population, so the hit rates' order
    assert nbo > pop and nbo > buy, f"next_best_offers does not beat both baselines on hit rate@3:\n{table}"


def test_next_best_offers_hits_recounted_from_the_orders(built, pub):
    """next_best_offers' rows of offer_evaluation recounted in Python from the session build's int_orders and
    int_order_items (completed orders in the window) and the cut-off's offers, catalogue and owned items: an item
    is relevant when the cut-off's catalogue sells it and the contact did not own it then, or owned it with its
    repurchase gap passed."""
    con = duckdb.connect(str(work_db(built)), read_only=True)
    try:
        offers = con.execute("""
            select contact_id, item_id, top_offer_rank from intermediate.int_offer__scores
            where cutoff_date = ? and is_top_offer and profile = 'offer'
        """, [CUTOFF]).fetchall()
        bought = con.execute("""
            select distinct orders.contact_id, lines.product_id
            from intermediate.int_orders as orders
            inner join intermediate.int_order_items as lines on orders.order_id = lines.order_id
            where orders.is_completed and orders.ordered_on > ? and orders.ordered_on <= ?
        """, [CUTOFF, END_DATE]).fetchall()
        gaps = dict(con.execute("select product_id, repurchase_days from intermediate.int_offer__products "
                                "where cutoff_date = ?", [CUTOFF]).fetchall())
        owned = {(c, p): days for c, p, days in con.execute("""
            select contact_id, product_id, min(days_before_cutoff) from intermediate.int_offer__purchases
            where cutoff_date = ? group by contact_id, product_id
        """, [CUTOFF]).fetchall()}
    finally:
        con.close()

    def offerable(contact, product):
        if product not in gaps:
            return False
        days = owned.get((contact, product))
        return days is None or (gaps[product] is not None and days >= gaps[product])

    relevant = {(c, p) for c, p in bought if offerable(c, p)}
    offered = {c for c, _, _ in offers}
    judged = {c for c, _ in relevant} & offered
    want = []
    for k in range(1, TOP_K + 1):
        hit = [(c, p) for c, p, rank in offers if rank <= k and c in judged and (c, p) in relevant]
        want.append((k, len(judged), len(offered), len(hit), len({c for c, _ in hit})))
    got = pub.execute("""
        select k, entities_evaluated, entities_with_offers, hits, entities_hit from marts.offer_evaluation
        where method = 'next_best_offers' order by k
    """).fetchall()
    assert len(judged) > 0 and got == want


def test_offer_marts_have_the_public_columns(pub):
    def columns(table):
        return [r[0] for r in pub.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
            "order by ordinal_position", [table]).fetchall()]

    nbo = columns("next_best_offers")
    assert {"contact_id", "offer_rank", "product_id", "category", "offer_score", "reason"} <= set(nbo), nbo
    scores = columns("offer_scores")
    criteria = ["offer_segment_fit", "offer_budget_fit", "offer_category_affinity", "offer_co_purchase_lift",
                "offer_interest", "offer_popularity", "offer_repurchase_due"]
    assert {"contact_id", "product_id", "category", "offer_score", "offer_rank", "reason"} <= set(scores), scores
    assert {f"{c}_points" for c in criteria} <= set(scores), scores
    evaluation = columns("offer_evaluation")
    assert {"method", "k", "evaluation_cutoff_date", "window_end", "window_days", "entities_with_offers",
            "entities_evaluated", "precision_at_k", "recall_at_k", "hit_rate_at_k", "lift_vs_popularity",
            "lift_vs_buy_again"} <= set(evaluation), evaluation
    # next_best_offers: ranks 1..K per contact, one row each, at most two items per category (var
    # offer_max_per_category 2: never three variants of one category), every offer with a reason
    bad = pub.execute(f"""
        select contact_id from marts.next_best_offers group by contact_id
        having min(offer_rank) <> 1 or max(offer_rank) <> count(*) or count(*) > {TOP_K}
            or count(distinct offer_rank) <> count(*)
            or count(reason) <> count(*)
    """).fetchall()
    assert pub.execute("select count(*) from marts.next_best_offers").fetchone()[0] > 0
    assert bad == []
    crowded = pub.execute("""
        select contact_id, category from marts.next_best_offers group by contact_id, category having count(*) > 2
    """).fetchall()
    assert crowded == []


# --- point in time ------------------------------------------------------------------------------------------------

def _read(path: Path) -> pa.Table:
    return pq.read_table(path)


def _append(path: Path, rows: list[dict]) -> None:
    """Append rows (dicts with every column of the file, values as Python objects) to a Parquet raw file."""
    table = _read(path)
    new = pa.Table.from_pylist(rows, schema=table.schema)
    pq.write_table(pa.concat_tables([table, new]), path)


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def append_late_rows(raw: Path, session_db: Path) -> tuple[str, str]:
    """Rows a build at the evaluation cut-off must not see, appended to a copy of the demo raw data. Returns the two
    products (a, b) whose co-purchase they build."""
    con = duckdb.connect(str(session_db), read_only=True)
    try:
        # two products of the cut-off's catalogue rarely bought together, and 60 customers at the cut-off
        a, b = con.execute("""
            select a.product_id, b.product_id
            from intermediate.int_offer__products as a
            inner join intermediate.int_offer__products as b
                on a.cutoff_date = b.cutoff_date and a.product_id < b.product_id
            left join intermediate.int_offer__co_purchase as pair
                on pair.cutoff_date = a.cutoff_date and pair.antecedent_item_id = a.item_id
                and pair.item_id = b.item_id
            where a.cutoff_date = ?
            order by coalesce(pair.pair_baskets, 0), a.product_id, b.product_id
            limit 1
        """, [CUTOFF]).fetchone()
        customers = [r[0] for r in con.execute("""
            select contact_id from intermediate.int_offer__entities
            where cutoff_date = ? and population = 'customer' order by contact_id limit 60
        """, [CUTOFF]).fetchall()]
        # completed orders before the cut-off: a later version refunds them, another moves their first line to b
        earlier = [r[0] for r in con.execute("""
            select distinct order_id from intermediate.int_offer__purchases
            where cutoff_date = ? and ordered_on < ? order by order_id limit 20
        """, [CUTOFF, CUTOFF - dt.timedelta(days=30)]).fetchall()]
    finally:
        con.close()
    assert len(customers) == 60 and len(earlier) == 20

    orders_path, lines_path = raw / "shop" / "orders.parquet", raw / "shop" / "order_items.parquet"
    events_path, products_path = raw / "marketing" / "events.parquet", raw / "shop" / "products.parquet"
    price = "50.00"
    orders, lines, events = [], [], []
    for i, contact in enumerate(customers):
        # 30 orders dated in the window; 30 dated before the cut-off but loaded after it
        ordered = _at(CUTOFF + dt.timedelta(days=5 + i % 20)) if i < 30 else _at(CUTOFF - dt.timedelta(days=3))
        loaded = ordered + dt.timedelta(hours=2) if i < 30 else _at(CUTOFF + dt.timedelta(days=2))
        order_id = f"OLATE{i:05d}"
        orders.append({"order_id": order_id, "contact_id": contact, "ordered_at": ordered, "status": "completed",
                       "currency": "EUR", "total_amount": "100.00", "channel": "web", "refunded_amount": None,
                       "credited_order_id": None, "updated_at": ordered, "_loaded_at": loaded})
        for n, product in ((1, a), (2, b)):
            lines.append({"order_id": order_id, "line_number": n, "product_id": product, "quantity": 1,
                          "unit_price": price, "discount": 0.0, "_loaded_at": loaded})
        # page views of a and b: after the cut-off, and on the cut-off's eve but loaded after it
        for product, seen, seen_loaded in ((a, CUTOFF + dt.timedelta(days=1), None),
                                           (b, CUTOFF - dt.timedelta(days=1), _at(CUTOFF + dt.timedelta(days=3)))):
            at = _at(seen, 9)
            events.append({"event_id": f"ELATE{len(events):06d}", "contact_id": contact, "event_type": "page_view",
                           "occurred_at": at, "url": f"https://www.example.com/products/{product.lower()}",
                           "properties": None, "_loaded_at": seen_loaded or at + dt.timedelta(hours=1)})
    later = _at(CUTOFF + dt.timedelta(days=4))
    old_orders = _read(orders_path).to_pylist()
    for order_id in earlier[:10]:
        newest = max((r for r in old_orders if r["order_id"] == order_id), key=lambda r: r["_loaded_at"])
        orders.append({**newest, "status": "refunded", "refunded_amount": newest["total_amount"], "updated_at": later,
                       "_loaded_at": later})
    old_lines = _read(lines_path).to_pylist()
    for order_id in earlier[10:]:
        first = max((r for r in old_lines if r["order_id"] == order_id and r["line_number"] == 1),
                    key=lambda r: r["_loaded_at"])
        lines.append({**first, "product_id": b, "_loaded_at": later})
    products = []
    for product in (a, b):
        newest = max((r for r in _read(products_path).to_pylist() if r["product_id"] == product),
                     key=lambda r: r["_loaded_at"])
        products.append({**newest, "category": "Training", "target_industries": "retail", "repurchase_days": 7,
                         "updated_at": later, "_loaded_at": later})
    _append(orders_path, orders)
    _append(lines_path, lines)
    _append(events_path, events)
    _append(products_path, products)
    return a, b


@pytest.fixture(scope="module")
def late_build(demo_raw, built, tmp_path_factory):
    """The demo raw data with the late rows, built as of END_DATE up to int_offer__scores (no dbt tests)."""
    root = tmp_path_factory.mktemp("offers_late")
    raw = root / "raw"
    shutil.copytree(demo_raw, raw)
    pair = append_late_rows(raw, work_db(built))
    res = run_build(raw, root, select=["+int_offer__scores"])
    assert res.success, res.error
    return root / "build" / "customer_scoring.duckdb", pair  # a partial build publishes nothing: its work database


def cutoff_rows(db: Path, model: str, cutoff: dt.date) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select * from intermediate.{model} where cutoff_date = ? order by all",
                           [cutoff]).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("model", OFFER_MODELS)
def test_nothing_after_the_evaluation_cutoff_reaches_its_offers(built, late_build, model):
    late_db, _ = late_build
    before, after = cutoff_rows(work_db(built), model, CUTOFF), cutoff_rows(late_db, model, CUTOFF)
    assert before, f"{model}: no rows at the evaluation cut-off"
    changed = sorted(set(before) ^ set(after))[:5]
    assert after == before, f"{model}: cut-off rows changed by rows dated or loaded after the cut-off: {changed}"


def test_the_late_rows_change_the_as_of_co_purchase_statistics(built, late_build):
    """The appended rows are strong enough to move the co-purchase statistics had they leaked: at the as-of date,
    which sees them, the pair of the late orders is in about 60 more baskets (the 60 customers, give or take those
    who had it already and the moved and refunded lines)."""
    late_db, (a, b) = late_build

    def pair_baskets(db: Path) -> int:
        con = duckdb.connect(str(db), read_only=True)
        try:
            found = con.execute("""
                select pair_baskets from intermediate.int_offer__co_purchase
                where cutoff_date = ? and antecedent_item_id = ? and item_id = ?
            """, [END_DATE, a, b]).fetchone()
        finally:
            con.close()
        return found[0] if found else 0

    before, after = pair_baskets(work_db(built)), pair_baskets(late_db)
    assert after - before >= 50, f"pair {a} {b} at the as-of date: {before} baskets without the late rows, {after} with"

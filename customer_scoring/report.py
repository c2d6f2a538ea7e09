"""A visual report of a publication: one self-contained HTML file (Plotly, its JavaScript inlined; no network when
it is viewed) written from the published marts.

Every figure is drawn from an aggregate computed in SQL (GROUP BY in the query): the report reads a few hundred
rows whatever the size of the publication, never one row per contact. A section whose mart is absent or empty says
"not in this publication" instead of a chart, so the report works on any publication, partial or older.

Sections: scores and tiers per profile (histogram of the score in bins of 5 points, tier sizes with their actions),
the RFM grid (recency x frequency score, customers and revenue), the leads' fit x engagement matrix, tier
performance (conversion rate over time, lift per tier), the predictive models (calibration, lift by decile, AUC /
Brier / MAE beside the baselines, as marts.model_evaluation and marts.model_calibration hold them), the offers'
evaluation against their baselines, activation (each audience's reach and exclusions by reason, the reach per
channel, the triggers of the build), data quality (quarantine, reconciliation, freshness, enrichment coverage) and
what changed since the previous as-of date in the history (tier moves, score drift). Conversion rates, tier moves
and triggers need the scores of earlier dates (a backtest); where they are missing, the section gives the commands
that make them (history_commands). The predict profile scores with its recency fallback on backtest dates (no
predictions there): wherever it compares with such a date its label carries a `*` and a note (D92).

DuckDB: the published file (`<publish dir>/customer_scoring.duckdb`) is opened read-only. PostgreSQL: the published
schemas `marts` and `audit` (and `meta.publication`) of the database named by CS_PG_*.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

log = logging.getLogger("customer_scoring")

REPORT_FILE = "report.html"
SCORE_BIN = 5  # points per histogram bin of a 0-100 score
TIER_COLOURS = ["#1b7837", "#7fbf7b", "#f1a340", "#d6604d", "#b2182b", "#762a83", "#999999"]
# Predictive models: one key in every chart of the section
SERVED_COLOUR, CANDIDATE_COLOUR, BASELINE_COLOUR = "#1b7837", "#4575b4", "#999999"
# The quarantine reasons: a qualitative palette of 20 colours (Plotly's Alphabet would be 26, too close to tell)
REASON_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                  "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7",
                  "#dbdb8d", "#9edae5"]
PREDICT = "predict"  # the profile that scores with predictions on regular builds only (README, score history)
CONVERTED = {  # what a conversion is per entity type (marts.tier_performance, int_history__score_outcomes)
    "customer": "a completed order",
    "lead": "a completed order or a won deal",
    "account": "a won deal of the account or an order of any of its contacts",
}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}
LABEL_SIZE = 11  # px: the smallest text drawn inside a chart (bar labels)
# The offers' methods in the predictive key: the offers served in the model colour, the baselines in greys
OFFER_COLOURS = {"next_best_offers": SERVED_COLOUR, "popularity": "#999999", "buy_again": "#cccccc"}
# marts.model_status's status words in plain text (an unknown word is shown as it is)
STATUS_TEXT = {
    "saved_model": "saved model reused (not refitted)",
    "fitted": "fitted on this build",
    "not_fitted": "not fitted: no model score",
    "horizon_free": "horizon-free model only (BG/NBD; not validated against outcomes)",
}
# What each predictive target predicts ({h}: the prediction horizon in days; {currency}: the reporting currency)
TARGET_TEXT = {
    "p_purchase": "the probability that a customer with purchase history buys within the next {h} days",
    "churn_risk": "the probability that a repeat customer makes no purchase within the next {h} days",
    "expected_orders": "how many completed orders a customer with history places within the next {h} days",
    "expected_revenue": "the net revenue ({currency}) a customer with history brings within the next {h} days",
    "p_convert": "the probability that a lead converts (a completed order or a won deal)",
    "p_campaign_response": "the probability that a contact sent a campaign responds to it",
}
PROFILES_SEED = Path("seeds") / "scoring" / "scoring_profiles.csv"  # under the project folder


class ReportError(RuntimeError):
    """No publication to report on (missing file, unreachable server)."""


# --- reading the publication ---------------------------------------------------------------------------------------

class Source:
    """Read-only access to a publication: `rows(sql)` returns the result as a list of tuples (SQL written to run
    unchanged on DuckDB and PostgreSQL), `has(table)` whether a public relation ("marts.lead_scores") exists and has
    rows."""

    def __init__(self, target: str, publication: Path | None = None, publish_dir: Path | None = None):
        self.target = target
        self.publish_dir = publish_dir
        self.cache: dict = {}
        if target == "duckdb":
            import duckdb

            if publication is None or not Path(publication).exists():
                raise ReportError(f"no publication at {publication}: build first (customer-scoring build)")
            self.con = duckdb.connect(str(publication), read_only=True)
            self.cur = self.con
        else:
            from customer_scoring import postgres

            try:
                self.con = postgres.connect()
            except Exception as exc:  # noqa: BLE001 - psycopg2's errors, reported as they are
                raise ReportError(f"PostgreSQL not reachable: {exc}") from exc
            self.con.set_session(readonly=True, autocommit=True)
            self.cur = self.con.cursor()
        names = self.rows("select table_schema, table_name from information_schema.tables "
                          "where table_schema in ('marts', 'audit', 'meta')")
        self.tables = {f"{s}.{t}" for s, t in names}
        self._counts: dict[str, int] = {}

    def rows(self, sql: str) -> list[tuple]:
        if self.target == "duckdb":
            return self.con.execute(sql).fetchall()
        self.cur.execute(sql)
        return self.cur.fetchall()

    def has(self, table: str) -> bool:
        if table not in self.tables:
            return False
        if table not in self._counts:
            # one row is enough to know: no count of a million-row mart
            self._counts[table] = len(self.rows(f"select 1 from {table} limit 1"))
        return self._counts[table] > 0

    def columns(self, table: str) -> set[str]:
        """The columns of a public relation ("marts.tier_performance"); empty when it does not exist."""
        if ("columns", table) not in self.cache:
            schema, name = table.split(".")
            self.cache[("columns", table)] = {r[0] for r in self.rows(
                "select column_name from information_schema.columns "
                f"where table_schema = '{schema}' and table_name = '{name}'")}
        return self.cache[("columns", table)]

    def close(self) -> None:
        self.con.close()


def _f(value) -> float | None:
    """A number from SQL (Decimal, int, None) as a float for Plotly; None stays None (a gap, never a zero)."""
    return None if value is None else float(value)


def _publication_meta(src: Source) -> dict:
    """Run id, as-of date and publication time of the current publication (the newest row of meta.publication)."""
    if "meta.publication" in src.tables:
        cols = "run_id, as_of_date" + (", published_at" if src.target == "duckdb" else ", null")
        row = src.rows(f"select {cols} from meta.publication order by run_id desc limit 1")
        if row:
            return {"run_id": row[0][0], "as_of": row[0][1], "published_at": row[0][2]}
    row = src.rows("select max(as_of_date) from marts.customer_scores") if src.has("marts.customer_scores") else []
    return {"run_id": None, "as_of": row[0][0] if row else None, "published_at": None}


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("customer-scoring", "dbt-core", "duckdb", "plotly"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


# --- building blocks -----------------------------------------------------------------------------------------------

@dataclass
class Section:
    """One section of the report: its anchor, title, and HTML parts (figures, tables, notes); `missing` names what
    the publication lacks when the section has nothing to show."""
    anchor: str
    title: str
    parts: list[str] = field(default_factory=list)
    missing: str | None = None
    charts: int = 0


def _figure_html(fig, div_id: str) -> str:
    """A figure as a <div> and the script that draws it (plotly.js itself is inlined once, in the page head)."""
    fig.update_layout(template="plotly_white", margin=dict(l=60, r=20, t=90, b=50), font=dict(size=13),
                      hoverlabel=dict(namelength=-1))
    body = fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOTLY_CONFIG,
                       default_height=f"{fig.layout.height or 420}px")
    return f'<div class="chart" data-chart="{div_id}">{body}</div>'


def _add_chart(section: Section, fig, name: str) -> None:
    section.charts += 1
    section.parts.append(_figure_html(fig, f"{section.anchor}-{name}"))


def _table(headers: list[str], rows: list[list], metric: str | None = None, keys: list[list[str]] | None = None,
           metric_col: int | None = None) -> str:
    """An HTML table; numbers right-aligned with thousands separators. When `metric` is given, the cell in column
    `metric_col` of row i carries data-metric=metric and data-key=keys[i] (read back by tests/test_report.py)."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for j, v in enumerate(row):
            attrs = ""
            if metric and j == metric_col:
                attrs = f' data-metric="{metric}" data-key="{html.escape("/".join(keys[i]))}"'
            if isinstance(v, bool) or v is None:
                text, cls = ("yes" if v else "no") if isinstance(v, bool) else "-", ""
            elif isinstance(v, int):
                text, cls = f"{v:,}", ' class="num"'
            elif isinstance(v, float):
                text, cls = f"{v:,.3f}".rstrip("0").rstrip("."), ' class="num"'
            else:
                text, cls = html.escape(str(v)), ""
            cells.append(f"<td{cls}{attrs}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _note(text: str) -> str:
    return f'<p class="note">{html.escape(text)}</p>'


HISTORY_SPACING_DAYS = 30  # between the backtest dates the empty-state hint proposes
HISTORY_DATES = 3  # how many


def history_commands(as_of: dt.date, window_days: int = 90, backtest_options: str = "", build_options: str = "",
                     report_options: str = "", cli: str | None = None) -> list[str]:
    """The commands that give a publication as of `as_of` its score history: a backtest over HISTORY_DATES past
    dates, HISTORY_SPACING_DAYS apart, the last one `window_days` (the conversion window of tier performance) before
    `as_of` so that every one has a complete window; the regular build as of `as_of` again, which publishes tier
    performance, score drift, the tier moves from the last backtest date and the triggers; and this report. `cli`:
    the command as it runs here (default `_cli()`: the virtual environment's script)."""
    cli = cli or _cli()
    last = as_of - dt.timedelta(days=window_days)
    first = last - dt.timedelta(days=HISTORY_SPACING_DAYS * (HISTORY_DATES - 1))
    return [f"{cli} backtest --from {first} --to {last} --every {HISTORY_SPACING_DAYS}d {backtest_options}".strip(),
            f"{cli} build --as-of {as_of} {build_options}".strip(),
            f"{cli} report {report_options}".strip()]


def _history_hint(src: Source, what: str, enough_dates: int | None = None) -> str:
    """A note saying that `what` needs score history of earlier dates, with the commands that make it (the
    publication's as-of date; the conversion window of marts.tier_performance, else the default 90 days). Nothing
    when marts.score_history already holds `enough_dates` as-of dates: the history is there, `what` is empty."""
    as_of = _publication_meta(src)["as_of"]
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    dates = (src.rows("select count(distinct as_of_date) from marts.score_history")[0][0]
             if src.has("marts.score_history") else 0)
    if enough_dates is not None and dates >= enough_dates:
        return ""
    head = f"{what} come from the scores of earlier dates; marts.score_history holds {dates} as-of date(s). "
    if not isinstance(as_of, dt.date):
        return _note(head + "Run a backtest (customer-scoring backtest), then build again.")
    window = (src.rows("select max(window_days) from marts.tier_performance")[0][0]
              if src.has("marts.tier_performance") else None)
    where = f"--publish-dir {src.publish_dir}" if src.publish_dir else ""
    if src.target != "duckdb":
        where = f"{where} --target {src.target}".strip()
    commands = history_commands(as_of, int(window or 90), build_options=where, report_options=where)
    items = "".join(f"<li><code>{html.escape(c)}</code></li>" for c in commands)
    venv = ("" if commands[0].startswith(("/", ".")) else
            " (with the project's virtual environment active: source .venv/bin/activate)")
    return (f'<div class="note" data-hint="history"><p>{html.escape(head)}To make them, run these from the project '
            f"folder{venv}. The publication does not record the build's --raw and --work-dir: add those of the build "
            f"that made it to the backtest and the build (the defaults are data/raw and build):</p>"
            f"<ol>{items}</ol></div>")


def _tier_colour(src: Source, tier: str | None, rank: int) -> str:
    """One colour per tier name in every chart: tier names ordered by their best rank in any profile (score_drift,
    else tier_performance: a few dozen rows) take TIER_COLOURS in turn; a name those marts lack, by its `rank` (1 =
    best)."""
    if "tier_colours" not in src.cache:
        ranks = []
        for table in ("marts.score_drift", "marts.tier_performance"):
            if src.has(table) and "tier_rank" in src.columns(table):
                ranks = src.rows(f"select tier, min(tier_rank) from {table} group by tier")
                break
        names = [t for _, t in sorted((r, t) for t, r in ranks if t is not None)]
        src.cache["tier_colours"] = {t: TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)] for i, t in enumerate(names)}
    return src.cache["tier_colours"].get(tier) or TIER_COLOURS[min(max(rank - 1, 0), len(TIER_COLOURS) - 1)]


def _project_var(name: str, default):
    """A var of the dbt project (dbt_project.yml, the project the command runs from): the marts do not publish every
    setting (the reporting currency, the minimum population of a tier)."""
    try:
        from customer_scoring import runner
        from customer_scoring.predict_io import project_vars

        value = project_vars(runner.project_dir(), {}).get(name)
        return default if value is None else value
    except Exception:  # noqa: BLE001 - no project at hand: the default, as dbt would use it
        return default


def _currency() -> str:
    return str(_project_var("reporting_currency", "EUR")).strip().upper()


def _regular_dates(src: Source) -> set[str]:
    """The as-of dates of regular builds this publication records (meta.publication, as ISO strings): the dates
    with predictions. Any other date of the history is a backtest date (or a build it does not record)."""
    if "regular_dates" not in src.cache:
        dates = {str(_publication_meta(src)["as_of"])}
        if "meta.publication" in src.tables:
            dates |= {str(r[0]) for r in src.rows("select distinct as_of_date from meta.publication")}
        src.cache["regular_dates"] = dates
    return src.cache["regular_dates"]


def _without_predictions(src: Source, dates) -> list[str]:
    """The dates among `dates` on which the predict profile had no predictions (not a regular build's date)."""
    regular = _regular_dates(src)
    return sorted({str(d) for d in dates if d is not None and str(d) not in regular})


def _predict_note(dates: list[str], what: str) -> str:
    """The visible note marking the predict profile's `what` as not comparable across `dates` (no predictions)."""
    kind = "a date" if len(dates) == 1 else "dates"
    return (f'<p class="note warn" data-note="predict">* predict: {html.escape(what)} '
            f"{html.escape(', '.join(dates))}, {kind} with no predictions (no build of its own in this publication: "
            "a backtest date; predictions are made for regular builds only, so there the predict profile scores with "
            "its recency fallback). Between such a date and a regular build its figures measure a change of method, "
            "not of customers: they are not comparable.</p>")


def _cli() -> str:
    """The command as it runs: the virtual environment's script (relative to the current folder when it is under
    it), else the bare name (with the project's virtual environment active)."""
    script = Path(sys.executable).parent / "customer-scoring"
    if not script.exists():
        return "customer-scoring"
    try:
        return str(script.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(script.absolute())


# --- sections ------------------------------------------------------------------------------------------------------

def _score_populations(src: Source) -> list[tuple[str, str, str]]:
    """(profile, relation as SQL, entity noun) for each scored population of the publication: the customer profiles of
    marts.customer_profile_scores, the leads and the accounts. The relation exposes score, tier, action."""
    out = []
    if src.has("marts.customer_profile_scores"):
        for (profile,) in src.rows("select distinct profile from marts.customer_profile_scores order by 1"):
            out.append((profile, "(select score, tier, recommended_action as action from marts.customer_profile_scores "
                                 f"where profile = '{profile}') as s", "customers"))
    if src.has("marts.lead_scores"):
        out.append(("lead", "(select lead_score as score, tier, recommended_action as action "
                            "from marts.lead_scores) as s", "leads"))
    if src.has("marts.account_scores"):
        out.append(("account", "(select account_score as score, tier, recommended_action as action "
                               "from marts.account_scores) as s", "accounts"))
    return out


def _profile_config(src: Source) -> tuple[dict[str, tuple[str, str]], str]:
    """profile -> (entity type, description), and where they come from: the published configuration when the
    publication holds a scoring_profiles relation (meta or marts), else the project's seed PROFILES_SEED (the
    project the command runs from); empty when neither is at hand."""
    for table in ("meta.scoring_profiles", "marts.scoring_profiles"):
        if src.has(table) and {"profile", "entity_type", "description"} <= src.columns(table):
            rows = src.rows(f"select profile, max(entity_type), max(description) from {table} group by profile")
            return {r[0]: (r[1], r[2]) for r in rows}, table
    try:
        import csv

        from customer_scoring import runner

        path = runner.project_dir() / PROFILES_SEED
        with path.open(encoding="utf-8", newline="") as f:
            return {r["profile"]: (r.get("entity_type") or "", r.get("description") or "")
                    for r in csv.DictReader(f)}, str(PROFILES_SEED)
    except Exception:  # noqa: BLE001 - no project at hand: the profiles without their descriptions
        return {}, ""


def _profiles_table(src: Source, pops: list[tuple[str, str, str]]) -> str:
    """A table of every profile in the publication with its entity type and description: the scored populations,
    lead_fit with the leads (their fit grade A-D is its tier) and the offer profile with the offer marts."""
    names = []
    for profile, _, _ in pops:
        if profile == "lead":
            names.append("lead_fit")
        names.append(profile)
    if any(t in src.tables for t in ("marts.offer_scores", "marts.next_best_offers", "marts.offer_evaluation")):
        names.append("offer")
    config, origin = _profile_config(src)
    extra = {"lead_fit": "The fit of leads: grade A-D (A = best fit; the rows of the fit x engagement matrix, which "
                         "the lead profile combines)."}
    rows = []
    for name in names:
        entity, text = config.get(name, ("", ""))
        if name in extra:
            text = f"{extra[name]} {text}" if text else extra[name]
        rows.append([name, entity or "-", text or "-"])
    where = f" (from {origin})" if origin else " (no description: no published configuration, no project seed)"
    return (f'<div data-table="profiles"><p class="note">The profiles of this publication{html.escape(where)}:</p>'
            + _table(["profile", "entity type", "what it scores"], rows) + "</div>")


def section_scores(src: Source) -> Section:
    """Per profile: the score histogram (bins of SCORE_BIN points, counts per bin) and the tier sizes with their
    recommended actions, tiers best first (by their lowest score: tier names are free)."""
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    sec = Section("scores", "Scores and tiers per profile")
    pops = _score_populations(src)
    if not pops:
        sec.missing = "marts.customer_profile_scores, marts.lead_scores, marts.account_scores"
        return sec
    sec.parts.append(_profiles_table(src, pops))
    top = 100 // SCORE_BIN - 1  # a score of exactly 100 falls in the last bin
    for profile, rel, noun in pops:
        bins = src.rows(f"select least(cast(floor(score / {SCORE_BIN}) as integer), {top}) as b, count(*) "
                        f"from {rel} where score is not null group by 1 order by 1")
        tiers = src.rows(f"select tier, max(action), count(*), avg(score), min(score) from {rel} "
                         "group by tier order by min(score) desc")
        total = sum(t[2] for t in tiers)
        fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1,
                            subplot_titles=(f"Score distribution ({SCORE_BIN}-point bins)", "Tier sizes"))
        fig.add_trace(go.Bar(
            x=[b * SCORE_BIN + SCORE_BIN / 2 for b, _ in bins], y=[n for _, n in bins], width=SCORE_BIN * 0.95,
            customdata=[[b * SCORE_BIN, b * SCORE_BIN + SCORE_BIN] for b, _ in bins], marker_color="#4575b4",
            name="score bin",
            hovertemplate="score %{customdata[0]}-%{customdata[1]}: %{y:,} " + noun + "<extra></extra>"), 1, 1)
        fig.add_trace(go.Bar(
            x=[t[0] or "(none)" for t in tiers], y=[t[2] for t in tiers], text=[t[2] for t in tiers],
            textposition="auto", name="tier",
            marker_color=[_tier_colour(src, t[0], i + 1) for i, t in enumerate(tiers)],
            customdata=[[t[1] or "-", 100 * t[2] / total if total else 0, _f(t[3])] for t in tiers],
            hovertemplate="tier %{x}: %{y:,} " + noun + " (%{customdata[1]:.1f}%)<br>average score "
                          "%{customdata[2]:.1f}<br>action: %{customdata[0]}<extra></extra>"), 1, 2)
        fig.update_xaxes(title_text="score (0-100 points)", range=[0, 100], row=1, col=1)
        fig.update_xaxes(title_text="tier (best first)", row=1, col=2)
        fig.update_yaxes(title_text=f"{noun} (count)", row=1, col=1)
        fig.update_yaxes(title_text=f"{noun} (count)", row=1, col=2)
        fig.update_layout(title=f"Profile {profile}: {total:,} {noun}", showlegend=False, height=380)
        sec.parts.append(f"<h3>Profile {html.escape(profile)}</h3>")
        _add_chart(sec, fig, f"profile-{profile}")
        sec.parts.append(_table(
            ["tier", "recommended action", noun, "share %", "average score", "lowest score"],
            [[t[0] or "-", t[1] or "-", int(t[2]), round(100 * t[2] / total, 1) if total else None,
              round(_f(t[3]), 1) if t[3] is not None else None, _f(t[4])] for t in tiers],
            metric="tier-count", keys=[[profile, t[0] or "-"] for t in tiers], metric_col=2))
    return sec


def section_rfm(src: Source) -> Section:
    """The RFM grid: customers per recency score (rows) x frequency score (columns), 5 = best, with their net
    revenue in the tooltip; then the RFM segments' sizes and revenue."""
    import plotly.graph_objects as go

    sec = Section("rfm", "RFM grid and segments")
    if not src.has("marts.customer_scores"):
        sec.missing = "marts.customer_scores"
        return sec
    currency = _currency()
    cells = src.rows("select r_score, f_score, count(*), sum(monetary_net) from marts.customer_scores "
                     "where r_score is not null and f_score is not null group by r_score, f_score")
    rs = sorted({c[0] for c in cells})
    fs = sorted({c[1] for c in cells})
    counts = {(c[0], c[1]): (int(c[2]), _f(c[3]) or 0.0) for c in cells}
    z = [[counts.get((r, f), (None, None))[0] for f in fs] for r in rs]
    rev = [[counts.get((r, f), (None, None))[1] for f in fs] for r in rs]
    fig = go.Figure(go.Heatmap(
        x=[str(f) for f in fs], y=[str(r) for r in rs], z=z, customdata=rev, colorscale="Blues",
        texttemplate="%{z:,}", colorbar=dict(title="customers"),
        hovertemplate="R %{y} x F %{x}: %{z:,} customers<br>net revenue %{customdata:,.2f} " + currency +
                      "<extra></extra>"))
    fig.update_layout(title="Customers per recency x frequency score (5 = most recent / most frequent; net revenue "
                            f"in {currency} in the tooltip)",
                      xaxis_title="frequency score F (1-5, quintile of orders)",
                      yaxis_title="recency score R (1-5, quintile of days since the last order)", height=460)
    _add_chart(sec, fig, "grid")
    segs = src.rows("select rfm_segment, count(*), sum(monetary_net) from marts.customer_scores "
                    "group by rfm_segment order by 2 desc")
    fig = go.Figure(go.Bar(
        x=[s[0] or "(none)" for s in segs], y=[s[1] for s in segs], text=[s[1] for s in segs],
        customdata=[_f(s[2]) or 0.0 for s in segs], marker_color="#4575b4",
        hovertemplate="%{x}: %{y:,} customers<br>net revenue %{customdata:,.2f} " + currency + "<extra></extra>"))
    fig.update_layout(title=f"RFM segments (net revenue in {currency} in the tooltip)", xaxis_title="segment",
                      yaxis_title="customers (count)", height=380)
    _add_chart(sec, fig, "segments")
    return sec


def section_leads(src: Source) -> Section:
    """The leads' fit grade (rows, A = best fit) x engagement level (columns) matrix: leads per cell, MQLs in the
    tooltip."""
    import plotly.graph_objects as go

    sec = Section("leads", "Leads: fit x engagement")
    if not src.has("marts.lead_scores"):
        sec.missing = "marts.lead_scores"
        return sec
    cells = src.rows("select fit_grade, engagement_level, count(*), "
                     "sum(case when is_mql then 1 else 0 end) from marts.lead_scores "
                     "group by fit_grade, engagement_level")
    grades = sorted({c[0] or "-" for c in cells}, reverse=True)  # A at the top
    levels = sorted({c[1] for c in cells if c[1] is not None})
    got = {(c[0] or "-", c[1]): (int(c[2]), int(c[3])) for c in cells}
    z = [[got.get((g, lv), (None, None))[0] for lv in levels] for g in grades]
    mql = [[got.get((g, lv), (None, None))[1] for lv in levels] for g in grades]
    fig = go.Figure(go.Heatmap(
        x=[str(lv) for lv in levels], y=grades, z=z, customdata=mql, colorscale="Oranges", texttemplate="%{z:,}",
        colorbar=dict(title="leads"),
        hovertemplate="fit %{y}, engagement %{x}: %{z:,} leads, %{customdata:,} MQL<extra></extra>"))
    fig.update_layout(title="Leads per fit grade x engagement level (matrix cell, e.g. A1)",
                      xaxis_title="engagement level (1 = least engaged)", yaxis_title="fit grade (A = best fit)",
                      height=420)
    _add_chart(sec, fig, "matrix")
    return sec


def section_tier_performance(src: Source) -> Section:
    """Tier performance (marts.tier_performance): per profile the conversion rate of each tier per period (when its
    window is complete) with its 95 % interval, and the lift of each tier in each profile's latest complete period.
    A tier below the minimum population is hatched grey ("too few to judge"), an empty tier says so, and the predict
    profile is marked when its periods include dates without predictions (backtest dates)."""
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    sec = Section("tier-performance", "Tier performance")
    if not src.has("marts.tier_performance"):
        sec.missing = "marts.tier_performance"
        return sec
    cols = src.columns("marts.tier_performance")

    def col(name: str, default: str = "null") -> str:  # an older publication may lack a column
        return name if name in cols else f"{default} as {name}"

    rows = src.rows("select profile, period, tier, tier_rank, population, conversions, conversion_rate, lift, "
                    f"{col('meets_min_population', 'true')}, {col('conversion_rate_low')}, "
                    f"{col('conversion_rate_high')}, {col('entity_type')}, {col('window_days')} "
                    "from marts.tier_performance where conversion_rate is not null or population = 0 "
                    "order by profile, period, tier_rank")
    # periods with a complete window: those with a rate (an empty tier has none in any period)
    complete = {(r[0], r[1]) for r in rows if r[6] is not None}
    rows = [r for r in rows if (r[0], r[1]) in complete]
    if not rows:
        periods = src.rows("select count(distinct period), max(period) from marts.tier_performance")[0]
        sec.parts.append(_note(
            f"marts.tier_performance holds {periods[0]} period(s), up to {periods[1]}, none with a complete "
            "conversion window yet, so no conversion rate and no lift."))
        sec.parts.append(_history_hint(src, "Conversion rates and lift per tier"))
        return sec
    window = max((int(r[12]) for r in rows if r[12] is not None), default=None) or int(
        _project_var("tier_performance_window_days", 90))
    kinds = sorted({r[11] for r in rows if r[11]})
    meaning = "; ".join(f"{k} profiles: {CONVERTED[k]}" for k in kinds if k in CONVERTED)
    sec.parts.append(
        f'<p class="note" data-note="converted">Converted: the entity converted in the {window} days after the '
        f"period's as-of date (var tier_performance_window_days){': ' + html.escape(meaning) if meaning else ''}, "
        "as known on the build's as-of date. A period shows once its window is over.</p>")
    minimum = _project_var("tier_performance_min_population", 30)
    predict_dates = _without_predictions(src, {r[1] for r in rows if r[0] == PREDICT})

    def label(profile: str) -> str:
        return f"{profile} *" if profile == PREDICT and predict_dates else profile

    def judged(r) -> str:
        if not r[4]:
            return "no entities in this tier"
        return "" if r[8] else f"too few to judge (under {minimum} entities)"

    profiles = sorted({r[0] for r in rows})
    fig = make_subplots(rows=len(profiles), cols=1, shared_xaxes=True, subplot_titles=[label(p) for p in profiles],
                        vertical_spacing=min(0.08, 0.3 / len(profiles)))
    seen = set()
    for i, profile in enumerate(profiles, start=1):
        tiers = sorted({(r[3], r[2]) for r in rows if r[0] == profile})
        for rank, tier in tiers:
            pts = [r for r in rows if r[0] == profile and r[2] == tier and r[6] is not None]
            if not pts:
                continue
            rate = [100 * _f(p[6]) for p in pts]
            fig.add_trace(go.Scatter(
                x=[p[1] for p in pts], y=rate, mode="lines+markers", name=f"tier {tier}",
                legendgroup=tier, showlegend=tier not in seen, legendrank=rank,
                line_color=_tier_colour(src, tier, rank),
                marker=dict(symbol=["circle" if p[8] else "circle-open" for p in pts], size=8,
                            color=_tier_colour(src, tier, rank)),
                error_y=dict(type="data", symmetric=False, thickness=1, width=3, color=_tier_colour(src, tier, rank),
                             array=[None if p[10] is None else 100 * _f(p[10]) - y for p, y in zip(pts, rate)],
                             arrayminus=[None if p[9] is None else y - 100 * _f(p[9]) for p, y in zip(pts, rate)]),
                customdata=[[p[4], p[5] or 0, "-" if p[9] is None else f"{100 * float(p[9]):.1f}",
                             "-" if p[10] is None else f"{100 * float(p[10]):.1f}", judged(p)] for p in pts],
                hovertemplate=profile + " tier " + tier + ", %{x}: %{y:.1f}% converted (%{customdata[1]:,} of "
                              "%{customdata[0]:,}), 95% interval %{customdata[2]}-%{customdata[3]}% "
                              "%{customdata[4]}<extra></extra>"), i, 1)
            seen.add(tier)
        fig.update_yaxes(title_text="converted (%)", row=i, col=1)
    fig.update_xaxes(title_text="as-of date of the scores", row=len(profiles), col=1)
    fig.update_layout(title=f"Conversion rate per tier over time (converted within {window} days; bars: 95% "
                            "interval; open markers: too few to judge)", height=max(320, 220 * len(profiles)))
    _add_chart(sec, fig, "over-time")
    latest = [r for r in rows if r[1] == max(p[1] for p in rows if p[0] == r[0])]
    if latest:
        fig = go.Figure()
        for rank, tier in sorted({(r[3], r[2]) for r in latest}):
            # judged tiers in the tier's colour; those under the minimum population hatched grey in the same slot
            for too_few in (False, True):
                pts = [r for r in latest if r[2] == tier and (bool(r[4]) and not r[8]) == too_few]
                if not pts:
                    continue
                fig.add_trace(go.Bar(
                    x=[label(p[0]) for p in pts], y=[_f(p[7]) if p[4] else 0 for p in pts],
                    name=f"tier {tier}" + (" (too few to judge)" if too_few else ""), offsetgroup=tier,
                    legendgroup=tier, legendrank=rank,
                    marker=dict(color="#bbbbbb", pattern=dict(shape="/", fgcolor="#555555")) if too_few else dict(
                        color=_tier_colour(src, tier, rank)),
                    text=["too few" if too_few else ("0 entities" if not p[4] else "") for p in pts],
                    textposition="outside", textfont=dict(size=LABEL_SIZE, color="#333333"), cliponaxis=False,
                    textangle=0 if too_few else -90,  # "0 entities" upright: wider than its bar slot otherwise
                    customdata=[[p[1], p[4], p[5] or 0, judged(p)] for p in pts],
                    hovertemplate="%{x} tier " + tier + ": lift %{y:.2f} (%{customdata[2]:,} of %{customdata[1]:,} "
                                  "converted, scores of %{customdata[0]}) %{customdata[3]}<extra></extra>"))
        # the line's meaning in the title, not as a label over the bars; profiles in the line charts' order
        fig.add_hline(y=1, line_dash="dot", line_color="#555555")
        fig.update_layout(barmode="group", title="Lift per tier in each profile's latest complete period<br><sup>"
                                                 "dotted line: no lift (1 = the profile's base rate); hatched grey: "
                                                 "too few to judge</sup>",
                          xaxis=dict(title="profile", categoryorder="array",
                                     categoryarray=[label(p) for p in profiles]),
                          uniformtext=dict(minsize=LABEL_SIZE, mode="show"),
                          yaxis_title="lift (tier rate / base rate)", height=420)
        _add_chart(sec, fig, "lift")
        few = [f"{r[0]} {r[2]} ({r[4]:,})" for r in latest if r[4] and not r[8]]
        empty = [f"{r[0]} {r[2]}" for r in latest if not r[4]]
        if few:
            sec.parts.append(f'<p class="note" data-note="too-few">Too few to judge (fewer than {minimum} entities, '
                             "var tier_performance_min_population; hatched grey bars, open markers): "
                             f"{html.escape(', '.join(few))}.</p>")
        if empty:
            sec.parts.append(f'<p class="note" data-note="empty-tier">No entities in the latest period, no lift: '
                             f"{html.escape(', '.join(empty))}.</p>")
    if predict_dates and set(predict_dates) == {str(r[1]) for r in rows if r[0] == PREDICT}:
        # every period of predict is a backtest date: none of its rates is the model's
        sec.parts.append(
            f'<p class="note warn" data-note="predict" data-predict="fallback-only">* predict: these rates come from '
            f"the recency fallback used on backtest dates, not from the predictive model. Every period of the predict "
            f"profile here ({html.escape(', '.join(predict_dates))}) is a backtest date, where no predictions are made "
            "(predictions are made for regular builds only).</p>")
    elif predict_dates:
        sec.parts.append(_predict_note(predict_dates, "its periods include"))
    return sec


def section_models(src: Source) -> Section:
    """Per predictive target, at its latest validation cut-off (a past date before the as-of date, not a backtest
    date of the scores): a sentence saying what it predicts and whether the served model beats its best baseline on
    the main metric (AUC, else MAE), the calibration curve (mean prediction against the observed rate per equal-count
    bin), the lift by bin (observed rate of the bin / observed rate of all examples) and the metrics of each model
    beside its baselines (AUC and Brier for probabilities, MAE for counts and amounts;
    a metric the mart leaves null is not drawn)."""
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    sec = Section("models", "Predictive models")
    if not src.has("marts.model_evaluation"):
        sec.missing = "marts.model_evaluation"
        return sec
    horizon = int(_project_var("prediction_horizon_days", 180))
    as_of = _publication_meta(src)["as_of"]
    sec.parts.append(
        '<p class="note" data-note="glossary">AUC: how well a probability ranks those who do before those who do '
        "not (0.5 = chance, 1 = perfect; higher is better). Brier: the mean squared error of a probability (lower "
        "is better). MAE: the mean absolute error of a count or an amount, in its unit (lower is better). "
        "Calibration: whether the predictions match what happened (points on the dotted diagonal).</p>")
    sec.parts.append(
        f'<p class="note" data-note="cutoff">Cut-off: the past date each model was validated at, before the as-of '
        f"date ({html.escape(str(as_of))}): the models learn from earlier dates and are judged on what happened in "
        f"the {horizon} days after it (var prediction_horizon_days). It is not a backtest date of the scores.</p>")
    status = []
    if src.has("marts.model_status"):
        status = src.rows("select target, status, examples, positives, message from marts.model_status "
                          "order by target")
    currency = _currency()
    evals = src.rows("select e.target, e.model_name, e.is_baseline, e.is_chosen, e.examples, e.auc, e.brier, e.mae, "
                     "e.cutoff_date from marts.model_evaluation as e where e.cutoff_date = (select max(cutoff_date) "
                     "from marts.model_evaluation as l where l.target = e.target) order by e.target, e.is_baseline, "
                     "e.model_name")
    calib = []
    if src.has("marts.model_calibration"):
        calib = src.rows("select c.target, c.model_name, c.bin, c.examples, c.mean_predicted, c.observed_rate "
                         "from marts.model_calibration as c where c.cutoff_date = (select max(cutoff_date) from "
                         "marts.model_calibration as l where l.target = c.target) order by 1, 2, 3")
    sentences = []
    for target in sorted({e[0] for e in evals}):
        ev = [e for e in evals if e[0] == target]
        what = TARGET_TEXT.get(target, "target " + target).format(h=horizon, currency=currency)
        auc = any(e[5] is not None for e in ev)
        metric, idx, better = ("AUC", 5, max) if auc else ("MAE", 7, min)
        scored = [e for e in ev if e[idx] is not None]
        served = [e for e in scored if e[3]]
        baselines = [e for e in scored if e[2]]

        def shown(e) -> str:
            value = _f(e[idx])
            text = f"{value:,.2f} {currency}" if metric == "MAE" and "revenue" in target else f"{value:.3f}"
            return f"{e[1]} ({metric} {text})"

        if not served:
            verdict = "no model is served (its status below says why)"
        elif not baselines:
            verdict = f"the served model {shown(served[0])} has no baseline to compare with"
        else:
            best = better(baselines, key=lambda e: _f(e[idx]))
            wins = _f(served[0][idx]) > _f(best[idx]) if auc else _f(served[0][idx]) < _f(best[idx])
            verdict = (f"the served model {shown(served[0])} {'beats' if wins else 'does NOT beat'} its best "
                       f"baseline {shown(best)}")
        sentences.append(f"<li><b>{html.escape(target)}</b> predicts {html.escape(what)}: {html.escape(verdict)}."
                         "</li>")
    if sentences:
        sec.parts.append(f'<ul data-note="model-summary">{"".join(sentences)}</ul>')
    if status:
        sec.parts.append(_table(["target", "status", "examples", "positives", "message"],
                                [[s[0], STATUS_TEXT.get(s[1], s[1]), s[2], s[3], s[4]] for s in status]))
    for target in sorted({e[0] for e in evals}):
        ev = [e for e in evals if e[0] == target]
        cal = [c for c in calib if c[0] == target]
        role = {e[1]: "baseline" if e[2] else ("served" if e[3] else "candidate") for e in ev}
        colour = {"baseline": BASELINE_COLOUR, "served": SERVED_COLOUR, "candidate": CANDIDATE_COLOUR}
        money = "revenue" in target  # an amount in the reporting currency (expected_revenue)
        metrics = [m for m, col in (("AUC", 5), ("Brier", 6), ("MAE", 7)) if any(e[col] is not None for e in ev)]
        titles = (["Calibration", "Lift by bin of the prediction"] if cal else []) + \
            [f"{m} (higher is better)" if m == "AUC" else f"{m} (lower is better)" for m in metrics]
        if not titles:
            continue
        fig = make_subplots(rows=1, cols=len(titles), subplot_titles=titles, horizontal_spacing=0.08)
        col = 1
        if cal:
            models = sorted({c[1] for c in cal})
            top = max(max(_f(c[4]) or 0, _f(c[5]) or 0) for c in cal)
            fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", line=dict(dash="dot", color="#999"),
                                     name="perfectly calibrated", hoverinfo="skip"), 1, 1)
            dashes = {}
            for model in models:
                pts = [c for c in cal if c[1] == model]
                n = sum(p[3] for p in pts)
                overall = sum(p[3] * (_f(p[5]) or 0) for p in pts) / n if n else None
                kind = role.get(model, "candidate")
                # models of one role share the colour; a second one of the role is dashed, a third dotted
                dash = ["solid", "dash", "dot", "dashdot"][min(dashes.setdefault(kind, -1) + 1, 3)]
                dashes[kind] += 1
                fmt = ",.2f" if money else ".3f"
                fig.add_trace(go.Scatter(
                    x=[_f(p[4]) for p in pts], y=[_f(p[5]) for p in pts], mode="lines+markers",
                    name=f"{model} ({kind})", legendgroup=model, line=dict(color=colour[kind], dash=dash),
                    customdata=[[p[2], p[3]] for p in pts],
                    hovertemplate=model + " (" + kind + ") bin %{customdata[0]}: predicted %{x:" + fmt + "}, "
                                  "observed %{y:" + fmt + "}" + (" " + currency if money else "") +
                                  " (%{customdata[1]:,} examples)<extra></extra>"), 1, 1)
                if overall:
                    fig.add_trace(go.Bar(
                        x=[p[2] for p in pts], y=[(_f(p[5]) or 0) / overall for p in pts], name=model,
                        legendgroup=model, showlegend=False, marker_color=colour[kind],
                        customdata=[p[3] for p in pts],
                        hovertemplate=model + " bin %{x}: lift %{y:.2f} (%{customdata:,} examples)<extra></extra>"),
                        1, 2)
            unit = f" ({currency})" if money else ""
            fig.update_xaxes(title_text=f"mean prediction{unit}", row=1, col=1)
            fig.update_yaxes(title_text=f"observed (rate or mean){unit}", row=1, col=1)
            fig.update_xaxes(title_text="bin (1 = lowest prediction)", dtick=1, row=1, col=2)
            fig.update_yaxes(title_text="lift (bin / all)", row=1, col=2)
            col = 3
        idx = {"AUC": 5, "Brier": 6, "MAE": 7}
        for m in metrics:
            pts = [e for e in ev if e[idx[m]] is not None]
            fig.add_trace(go.Bar(
                x=[e[1] for e in pts], y=[_f(e[idx[m]]) for e in pts], showlegend=False, name=m,
                marker_color=[colour[role[e[1]]] for e in pts],
                customdata=[[role[e[1]], e[4]] for e in pts],
                hovertemplate="%{x} (%{customdata[0]}): " + m + (" %{y:,.2f} " + currency if m == "MAE" and money
                                                                 else " %{y:.4f}") +
                              " on %{customdata[1]:,} examples<extra></extra>"), 1, col)
            fig.update_yaxes(title_text=f"{m} ({currency})" if m == "MAE" and money else m, row=1, col=col)
            fig.update_xaxes(tickangle=-30, row=1, col=col)
            col += 1
        cutoff = ev[0][8]
        served = [e[1] for e in ev if e[3]]
        why = next((f" ({STATUS_TEXT.get(s[1], s[1])})" for s in status if s[0] == target), "")
        key = (f"green: the model served ({', '.join(served)}), blue: other candidate models, grey: baselines"
               if served else f"NO MODEL SERVED{why}; blue: candidate models, grey: baselines")
        fig.update_layout(title=f"{target}: validated at the cut-off {cutoff}<br><sup>{key}</sup>",
                          height=440, barmode="group")
        sec.parts.append(f"<h3>{html.escape(target)}</h3>")
        _add_chart(sec, fig, f"model-{target}")
    return sec


def section_offers(src: Source) -> Section:
    """The offers' evaluation (marts.offer_evaluation): precision, recall and hit rate at k of the next best offers
    beside the popularity and buy-again baselines, on the contacts it judged."""
    from plotly.subplots import make_subplots
    import plotly.graph_objects as go

    sec = Section("offers", "Offers against their baselines")
    if not src.has("marts.offer_evaluation"):
        sec.missing = "marts.offer_evaluation"
        return sec
    rows = src.rows("select method, k, precision_at_k, recall_at_k, hit_rate_at_k, entities_evaluated, hits, "
                    "evaluation_cutoff_date, window_days from marts.offer_evaluation order by method, k")
    names = ["precision at k", "recall at k", "hit rate at k"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=names, horizontal_spacing=0.07)
    # the baselines first (greys), then the offers served (green), as in the predictive models' key
    methods = sorted({r[0] for r in rows}, key=lambda m: (m == "next_best_offers", m))
    for method in methods:
        pts = [r for r in rows if r[0] == method]
        for j in range(3):
            fig.add_trace(go.Bar(
                x=[f"k={p[1]}" for p in pts], y=[100 * (_f(p[2 + j]) or 0) for p in pts], name=method,
                legendgroup=method, showlegend=j == 0, marker_color=OFFER_COLOURS.get(method, CANDIDATE_COLOUR),
                customdata=[[p[5], p[6]] for p in pts],
                hovertemplate=method + " %{x}: " + names[j] + " %{y:.1f}% (%{customdata[1]:,} hits, "
                              "%{customdata[0]:,} contacts judged)<extra></extra>"), 1, j + 1)
            fig.update_yaxes(title_text="%", row=1, col=j + 1)
    fig.update_layout(barmode="group", height=400,
                      title=f"Offers made at {rows[0][7]}, judged on the next {rows[0][8]} days' purchases<br><sup>"
                            "green: the offers served (next_best_offers), grey: baselines (popularity, buy_again)"
                            "</sup>")
    _add_chart(sec, fig, "evaluation")
    return sec


# The exclusion reasons of marts.audience_exclusions, in the order the mart applies them (the first that applies).
EXCLUSION_REASONS = ["do_not_contact", "unsubscribed", "hard_bounce", "no_consent", "missing_address"]
REASON_COLOURS = ["#b2182b", "#d6604d", "#f4a582", "#8073ac", "#bababa"]
REACHED_COLOUR = "#1b7837"
TRIGGER_COLOURS = {"entered_tier": "#1b7837", "new_mql": "#4575b4", "left_tier": "#f1a340",
                   "dropped_two_tiers": "#b2182b"}


def _reason_rank_sql() -> str:
    """SQL giving an exclusion reason's place in EXCLUSION_REASONS (1 = first); an unknown reason comes last."""
    whens = " ".join(f"when '{r}' then {i}" for i, r in enumerate(EXCLUSION_REASONS, start=1))
    return f"case reason {whens} else {len(EXCLUSION_REASONS) + 1} end"


def _reason_name(rank: int) -> str:
    return EXCLUSION_REASONS[rank - 1] if 1 <= rank <= len(EXCLUSION_REASONS) else "other"


def section_activation(src: Source) -> Section:
    """The audiences of the as-of date (marts.audience_members, marts.audience_exclusions): per audience the entities
    it reaches and those it selected but leaves out, by reason; per channel the distinct people (accounts on crm) the
    audiences select and the share of them that can be contacted, the rest by the first reason that applies; and the
    triggers this build produced (marts.activation_triggers) by type and profile."""
    import plotly.graph_objects as go

    sec = Section("activation", "Activation: audiences, exclusions and triggers")
    if not {"marts.audience_members", "marts.audience_exclusions"} <= src.tables or not (
            src.has("marts.audience_members") or src.has("marts.audience_exclusions")):
        sec.missing = "marts.audience_members, marts.audience_exclusions"
        return sec
    rank = _reason_rank_sql()
    rows = src.rows(
        "select audience, channel, max(entity_type), reason_rank, count(*) from ("
        "select audience, channel, entity_type, 0 as reason_rank from marts.audience_members union all "
        f"select audience, channel, entity_type, {rank} as reason_rank from marts.audience_exclusions) as a "
        "group by audience, channel, reason_rank order by channel, audience, reason_rank")
    audiences = sorted({(r[1], r[0]) for r in rows})  # by channel, then name
    got = {(r[0], r[3]): int(r[4]) for r in rows}
    kind = {r[0]: r[2] for r in rows}
    ranks = sorted({r[3] for r in rows if r[3] > 0})
    labels = [f"{a} ({c})" for c, a in audiences]
    selected = {a: sum(n for (aa, _), n in got.items() if aa == a) for _, a in audiences}
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=labels, x=[got.get((a, 0), 0) for _, a in audiences], name="reached (exported)", orientation="h",
        marker_color=REACHED_COLOUR, customdata=[[selected[a], kind[a]] for _, a in audiences],
        hovertemplate="%{y}: %{x:,} reached of %{customdata[0]:,} %{customdata[1]}s selected<extra></extra>"))
    for r in ranks:
        reason = _reason_name(r)
        fig.add_trace(go.Bar(
            y=labels, x=[got.get((a, r)) for _, a in audiences], name=f"excluded: {reason}", orientation="h",
            marker_color=REASON_COLOURS[min(r, len(REASON_COLOURS)) - 1],
            customdata=[[selected[a], kind[a]] for _, a in audiences],
            hovertemplate="%{y}: %{x:,} excluded (" + reason + ") of %{customdata[0]:,} %{customdata[1]}s "
                          "selected<extra></extra>"))
    fig.update_layout(barmode="stack", title="Audiences: who each one reaches and who it leaves out, by reason",
                      xaxis_title="entities the audience selected (count)", yaxis_title="audience (channel)",
                      yaxis_autorange="reversed", legend_traceorder="normal",
                      height=max(340, 44 * len(audiences) + 180))
    _add_chart(sec, fig, "audiences")
    sec.parts.append(_table(
        ["audience", "channel", "entity", "selected", "reached", "excluded", "reached %",
         *[f"excluded: {_reason_name(r)}" for r in ranks]],
        [[a, c, kind[a], selected[a], got.get((a, 0), 0), selected[a] - got.get((a, 0), 0),
          round(100 * got.get((a, 0), 0) / selected[a], 1) if selected[a] else None,
          *[got.get((a, r), 0) for r in ranks]] for c, a in audiences],
        metric="audience-reached", keys=[[a] for _, a in audiences], metric_col=4))

    # Per channel, each person once: reached when any audience of the channel exports them, else left out for the
    # first reason that applies (the reasons depend on the person and the channel, not on the audience).
    people = src.rows(
        "select channel, reason_rank, count(*) from (select channel, entity_type, entity_id, min(reason_rank) as "
        "reason_rank from (select channel, entity_type, entity_id, 0 as reason_rank from marts.audience_members "
        f"union all select channel, entity_type, entity_id, {rank} as reason_rank from marts.audience_exclusions) "
        "as a group by channel, entity_type, entity_id) as p group by channel, reason_rank order by 1, 2")
    channels = sorted({p[0] for p in people})
    per = {(p[0], p[1]): int(p[2]) for p in people}
    total = {c: sum(n for (cc, _), n in per.items() if cc == c) for c in channels}
    people_ranks = sorted({0, *(p[1] for p in people)})
    share = {(c, r): 100 * per.get((c, r), 0) / total[c] if total[c] else 0.0 for c in channels for r in people_ranks}
    fig = go.Figure()
    for r in people_ranks:
        what = "reachable" if r == 0 else f"excluded: {_reason_name(r)}"
        fig.add_trace(go.Bar(
            x=channels, y=[share.get((c, r), 0.0) if per.get((c, r)) else None for c in channels], name=what,
            marker_color=REACHED_COLOUR if r == 0 else REASON_COLOURS[min(r, len(REASON_COLOURS)) - 1],
            text=[f"{share[(c, r)]:.0f}%" if r == 0 else "" for c in channels], textposition="inside",
            customdata=[[per.get((c, r), 0), total[c]] for c in channels],
            hovertemplate="%{x}: " + what + " %{customdata[0]:,} of %{customdata[1]:,} selected (%{y:.1f}%)"
                                            "<extra></extra>"))
    fig.update_layout(barmode="stack", title="Reach per channel: share of the people the audiences select who can be "
                                             "contacted (each person once per channel)",
                      xaxis_title="channel", yaxis_title="people selected on the channel (%)", yaxis_range=[0, 100],
                      height=420)
    _add_chart(sec, fig, "reach")
    sec.parts.append(_table(
        ["channel", "people selected", "reachable", "reachable %"],
        [[c, total[c], per.get((c, 0), 0), round(share[(c, 0)], 1)] for c in channels],
        metric="channel-reachable", keys=[[c] for c in channels], metric_col=2))

    if src.has("marts.activation_triggers"):
        trig = src.rows("select trigger_type, profile, count(*), max(first_exported_on) from "
                        "marts.activation_triggers where first_exported_on = (select max(first_exported_on) from "
                        "marts.activation_triggers) group by trigger_type, profile order by 1, 2")
        predict_dates = _predict_previous_dates(src)
        names = {p: f"{p} *" if p == PREDICT and predict_dates else p for p in {t[1] for t in trig}}
        profiles = sorted({t[1] for t in trig})
        fig = go.Figure()
        for k, ttype in enumerate(sorted({t[0] for t in trig}, key=lambda t: (t not in TRIGGER_COLOURS, t))):
            got_t = {t[1]: int(t[2]) for t in trig if t[0] == ttype}
            fig.add_trace(go.Bar(
                x=[names[p] for p in profiles], y=[got_t.get(p) for p in profiles], name=ttype,
                text=[got_t.get(p) for p in profiles],
                marker_color=TRIGGER_COLOURS.get(ttype, TIER_COLOURS[k % len(TIER_COLOURS)]),
                hovertemplate="%{x}, " + ttype + ": %{y:,} triggers<extra></extra>"))
        fig.update_layout(barmode="group", title=f"Triggers first exported on {trig[0][3]}, by type and profile",
                          xaxis_title="profile", yaxis_title="triggers (count)", height=400)
        _add_chart(sec, fig, "triggers")
        if predict_dates:
            sec.parts.append(_predict_note(predict_dates, "its triggers (exported like the others) compare with"))
    else:
        sec.parts.append(_note("No triggers: marts.activation_triggers is empty (a first build with no score history "
                               "before it: nobody changed tier and no lead became an MQL since an earlier date) or "
                               "not in this publication."))
        sec.parts.append(_history_hint(src, "Triggers", enough_dates=2))
    return sec


def section_data_quality(src: Source) -> Section:
    """Quarantined raw rows per table and reason, where every raw row went (reconciliation), the raw tables'
    freshness and the enrichment coverage of the accounts."""
    import plotly.graph_objects as go

    sec = Section("data-quality", "Data quality")
    found = False
    if src.has("audit.quarantine"):
        found = True
        readable = "max(reason)" if "reason" in src.columns("audit.quarantine") else "max(reason_code)"
        rows = src.rows(f"select source_table, reason_code, count(*), {readable} from audit.quarantine "
                        "group by source_table, reason_code order by 1, 2")
        tables = sorted({r[0] for r in rows})
        reasons = sorted({r[1] for r in rows})
        text = {r[1]: r[3] or r[1] for r in rows}
        fig = go.Figure()
        for k, reason in enumerate(reasons):
            got = {r[0]: r[2] for r in rows if r[1] == reason}
            fig.add_trace(go.Bar(
                y=tables, x=[got.get(t) for t in tables], name=reason, orientation="h",
                marker_color=REASON_PALETTE[k % len(REASON_PALETTE)], customdata=[text[reason]] * len(tables),
                hovertemplate="%{y}, " + reason + ": %{x:,} rows<br>%{customdata}<extra></extra>"))
        # the legend below the chart, in as many rows as it needs: never cut off at the right
        fig.update_layout(barmode="stack", title="Quarantined raw rows per table and reason (hover for the reason)",
                          xaxis_title="quarantined rows (count)", yaxis_title="raw table",
                          legend=dict(orientation="h", yanchor="top", y=-0.18, x=0),
                          height=max(360, 40 * len(tables) + 220 + 24 * ((len(reasons) + 2) // 3)))
        _add_chart(sec, fig, "quarantine")
        totals = {}
        for r in rows:
            totals[r[0]] = totals.get(r[0], 0) + r[2]
        sec.parts.append(_table(["raw table", "quarantined rows"], [[t, int(totals[t])] for t in tables],
                                metric="quarantine-count", keys=[[t] for t in tables], metric_col=1))
    if src.has("audit.dq_reconciliation"):
        found = True
        rows = src.rows("select source_table, kept_rows, quarantined_rows, merged_rows, after_as_of_rows, "
                        "erased_rows, raw_rows, is_reconciled from audit.dq_reconciliation order by source_table")
        fig = go.Figure()
        for j, what in enumerate(["kept", "quarantined", "merged", "after the as-of date", "erased"]):
            fig.add_trace(go.Bar(
                y=[r[0] for r in rows], x=[r[1 + j] for r in rows], name=what, orientation="h",
                customdata=[[r[6], "yes" if r[7] else "NO"] for r in rows],
                hovertemplate="%{y}: %{x:,} " + what + " of %{customdata[0]:,} raw rows (reconciled: "
                              "%{customdata[1]})<extra></extra>"))
        fig.update_layout(barmode="stack", title="Where every raw row went (audit.dq_reconciliation)",
                          xaxis_title="raw rows (count)", yaxis_title="raw table",
                          height=max(320, 30 * len(rows) + 160))
        _add_chart(sec, fig, "reconciliation")
        bad = [r[0] for r in rows if not r[7]]
        sec.parts.append(_note("Every raw table reconciles (raw = kept + quarantined + merged + later + erased)."
                               if not bad else f"NOT reconciled: {', '.join(bad)}"))
    if src.has("audit.dq_freshness"):
        found = True
        rows = src.rows("select source_table, freshness_status, days_since_load, warn_after_days, "
                        "error_after_days, raw_rows from audit.dq_freshness order by source_table")
        sec.parts.append("<h3>Freshness of the raw tables</h3>")
        sec.parts.append(_table(["raw table", "status", "days since the newest load", "warn after (days)",
                                 "error after (days)", "raw rows"],
                                [[r[0], r[1], r[2], _f(r[3]), _f(r[4]), r[5]] for r in rows]))
        if any(r[1] == "not_checked" for r in rows):
            sec.parts.append(_note("not_checked: the table has no freshness threshold (no warn or error after days), "
                                   "or its rows carry no load or business timestamp: its age is shown, not judged."))
    if src.has("marts.enrichment_coverage"):
        found = True
        rows = src.rows("select field_name, coverage_before_enrichment, coverage_after_enrichment, total_accounts, "
                        "filled_by_enrichment, conflicts from marts.enrichment_coverage order by field_order")
        fig = go.Figure()
        for j, when in enumerate(["before enrichment", "after enrichment"]):
            fig.add_trace(go.Bar(
                x=[r[0] for r in rows], y=[100 * (_f(r[1 + j]) or 0) for r in rows], name=when,
                customdata=[[r[3], r[4], r[5]] for r in rows],
                hovertemplate="%{x} " + when + ": %{y:.1f}% of %{customdata[0]:,} accounts (%{customdata[1]:,} "
                              "filled by enrichment, %{customdata[2]:,} conflicts)<extra></extra>"))
        fig.update_layout(barmode="group", title="Account fields filled, before and after enrichment",
                          xaxis_title="account field", yaxis_title="accounts with a value (%)",
                          yaxis_range=[0, 100], height=380)
        _add_chart(sec, fig, "enrichment")
    if not found:
        sec.missing = "audit.quarantine, audit.dq_reconciliation, audit.dq_freshness, marts.enrichment_coverage"
    return sec


def _tier_ranks(src: Source) -> dict[tuple[str, str], int]:
    """(profile, tier) -> the tier's rank (1 = best) from score_drift or tier_performance (a few dozen rows)."""
    for table in ("marts.score_drift", "marts.tier_performance"):
        if src.has(table) and "tier_rank" in src.columns(table):
            return {(p, t): int(r) for p, t, r in src.rows(
                f"select profile, tier, min(tier_rank) from {table} group by profile, tier")}
    return {}


def _predict_previous_dates(src: Source) -> list[str]:
    """The previous as-of dates the predict profile's latest tier moves (and so its triggers) compare with, where
    those dates had no predictions."""
    if "predict_previous" not in src.cache:
        dates = []
        if src.has("marts.tier_changes"):
            dates = [r[0] for r in src.rows(
                "select distinct previous_as_of_date from marts.tier_changes where profile = 'predict' and "
                "as_of_date = (select max(as_of_date) from marts.tier_changes)")]
        src.cache["predict_previous"] = _without_predictions(src, dates)
    return src.cache["predict_previous"]


def section_changes(src: Source) -> Section:
    """What changed since the previous as-of date in the history: tier moves per profile (from x to tier, counts,
    profiles then from-tiers in tier order) and, per profile, the tier shares of the latest period beside the
    previous one with the population stability index (PSI). The predict profile is marked when the earlier date had
    no predictions."""
    import plotly.graph_objects as go

    sec = Section("changes", "Changes since the previous as-of date in the history")
    found = False
    if src.has("marts.tier_changes"):
        found = True
        rows = src.rows("select profile, from_tier, to_tier, count(*), max(as_of_date), min(previous_as_of_date), "
                        "max(previous_as_of_date) from marts.tier_changes where as_of_date = (select max(as_of_date) "
                        "from marts.tier_changes) group by profile, from_tier, to_tier order by 1, 2, 3")
        ranks = _tier_ranks(src)
        predict_dates = _predict_previous_dates(src)

        def tier_key(profile: str, tier: str | None) -> tuple:
            return (ranks.get((profile, tier), 99), tier or "")

        def category(profile: str, tier: str | None) -> str:
            star = " *" if profile == PREDICT and predict_dates else ""
            return f"{profile}{star}: from {tier or '(none)'}"

        order = sorted({(r[0], r[1]) for r in rows}, key=lambda k: (k[0], *tier_key(*k)))
        categories = [category(*k) for k in order]
        to_tiers = sorted({(r[0], r[2]) for r in rows}, key=lambda k: tier_key(*k))
        fig = go.Figure()
        for to_tier in dict.fromkeys(t for _, t in to_tiers):
            pts = [r for r in rows if r[2] == to_tier]
            rank = min(ranks.get((p[0], to_tier), 99) for p in pts)
            fig.add_trace(go.Bar(
                x=[category(p[0], p[1]) for p in pts], y=[p[3] for p in pts], name=f"to {to_tier or '(none)'}",
                marker_color=_tier_colour(src, to_tier, rank), legendrank=rank,
                hovertemplate="%{x} to " + (to_tier or "(none)") + ": %{y:,} moved<extra></extra>"))
        since = rows[0][5] if rows[0][5] == rows[0][6] else f"{rows[0][5]}-{rows[0][6]}"
        fig.update_layout(barmode="stack", title=f"Tier moves into {rows[0][4]} since the previous as-of date in the "
                                                 f"history ({since})",
                          xaxis=dict(title="profile and previous tier", categoryorder="array",
                                     categoryarray=categories),
                          yaxis_title="entities that moved (count)", height=440)
        sec.parts.append(_note("Each entity's tier on the latest as-of date of marts.score_history against its tier on "
                               "the previous as-of date the history holds for it (a backtest date or an earlier "
                               "build), not necessarily the previous build."))
        _add_chart(sec, fig, "tier-moves")
        if predict_dates:
            sec.parts.append(_predict_note(predict_dates, "its tier moves compare with"))
    else:
        sec.parts.append(_note("No tier moves: marts.tier_changes is empty (a first build, or no entity changed "
                               "tier) or not in this publication."))
        sec.parts.append(_history_hint(src, "Tier moves", enough_dates=2))
    if src.has("marts.score_drift"):
        found = True
        rows = src.rows("select d.profile, d.tier, d.tier_rank, d.tier_share, d.previous_tier_share, d.tier_entities, "
                        "d.period, d.previous_period, d.psi_score, d.psi_score_reading from marts.score_drift as d "
                        "where d.period = (select max(period) from marts.score_drift as l where l.profile = "
                        "d.profile) order by d.profile, d.tier_rank")
        profiles = sorted({r[0] for r in rows})
        psi = {r[0]: r for r in rows}
        no_predictions = _without_predictions(src, [psi[PREDICT][7]]) if PREDICT in psi else []

        def label(profile: str) -> str:
            return f"{profile} *" if profile == PREDICT and no_predictions else profile

        fig = go.Figure()
        for rank, tier in sorted({(r[2], r[1]) for r in rows}):
            pts = [r for r in rows if r[1] == tier]
            fig.add_trace(go.Bar(
                x=[label(p[0]) for p in pts], y=[100 * (_f(p[3]) or 0) for p in pts], name=f"tier {tier}",
                marker_color=_tier_colour(src, tier, rank),
                customdata=[[p[5], "-" if p[4] is None else f"{100 * float(p[4]):.1f}%", p[6]] for p in pts],
                hovertemplate="%{x} tier " + tier + " at %{customdata[2]}: %{y:.1f}% (%{customdata[0]:,}); "
                              "previous period %{customdata[1]}<extra></extra>"))
        fig.update_layout(barmode="stack", title="Tier shares in the latest period", xaxis_title="profile",
                          yaxis_title="share of the profile's entities (%)", height=400)
        _add_chart(sec, fig, "tier-shares")
        sec.parts.append(_table(
            ["profile", "period", "previous period", "PSI of the score", "reading"],
            [[label(p), psi[p][6], psi[p][7], _f(psi[p][8]),
              f"{psi[p][9]} (not comparable *)" if p == PREDICT and no_predictions else psi[p][9]]
             for p in profiles]))
        if any(psi[p][7] is None for p in profiles):
            sec.parts.append(_note('"-": no previous period in marts.score_history yet (its first as-of date), so '
                                   "no PSI: drift needs the scores of two as-of dates."))
        if no_predictions:
            sec.parts.append(_predict_note(no_predictions, "its PSI compares with the period"))
    if not found:
        sec.missing = "marts.tier_changes, marts.score_drift"
    return sec


SECTIONS = [section_scores, section_rfm, section_leads, section_tier_performance, section_models, section_offers,
            section_activation, section_data_quality, section_changes]


# --- the page ------------------------------------------------------------------------------------------------------

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1200px;padding:0 24px;
color:#222}
header{border-bottom:2px solid #4575b4;padding:12px 0}
header dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:8px 0}
header dt{font-weight:600}
nav ol{columns:2}
section{border-top:1px solid #ddd;margin-top:24px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px;display:block;max-width:100%;overflow-x:auto}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.missing{color:#8a6d3b;background:#fcf8e3;padding:8px}
.note{color:#555}
.warn{color:#8a4b00;font-weight:600}
th{white-space:normal;max-width:11em}
code{background:#f4f4f4;padding:1px 4px}
"""


def render(src: Source) -> tuple[str, dict]:
    """The report's HTML and a summary: {"sections": {anchor: charts drawn or "missing"}, "charts": total}."""
    import plotly.offline

    meta = _publication_meta(src)
    versions = _versions()
    sections = [build(src) for build in SECTIONS]
    toc = "".join(
        f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a>{" (not in this publication)" if s.missing else ""}'
        f"</li>" for s in sections)
    body = []
    for s in sections:
        inner = (f'<p class="missing" data-missing="{html.escape(s.missing)}">Not in this publication '
                 f"({html.escape(s.missing)}).</p>" if s.missing else "".join(s.parts))
        body.append(f'<section id="{s.anchor}"><h2>{html.escape(s.title)}</h2>{inner}</section>')
    head = (f"<dt>as of</dt><dd>{html.escape(str(meta['as_of']))}</dd>"
            f"<dt>build run</dt><dd>{html.escape(str(meta['run_id'] or '-'))}</dd>"
            f"<dt>published at</dt><dd>{html.escape(str(meta['published_at'] or '-'))}</dd>"
            f"<dt>source</dt><dd>{html.escape(src.target)}</dd>"
            f"<dt>report written</dt><dd>{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC</dd>"
            "<dt>versions (report writer)</dt><dd>"
            + ", ".join(f"{k} {html.escape(v)}" for k, v in versions.items()) + "</dd>")
    title = f"Customer scoring report, as of {meta['as_of']}"
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style><script>{plotly.offline.get_plotlyjs()}</script></head><body>"
            f"<header><h1>{html.escape(title)}</h1><dl>{head}</dl></header>"
            f"<nav><h2>Contents</h2><ol>{toc}</ol></nav>{''.join(body)}</body></html>")
    summary = {"sections": {s.anchor: ("missing" if s.missing else s.charts) for s in sections},
               "charts": sum(s.charts for s in sections), "as_of": str(meta["as_of"]), "run_id": meta["run_id"]}
    return page, summary


def write_report(publish_dir: Path, out: Path | None = None, target: str = "duckdb") -> dict:
    """Write the report of the publication in `publish_dir` (DuckDB) or of the published PostgreSQL schemas to `out`
    (default <publish dir>/report.html), atomically (a temporary file renamed). Returns the summary of `render` with
    the file's path, its size in bytes and the seconds it took."""
    start = time.monotonic()
    publish_dir = Path(publish_dir)
    out = Path(out) if out else publish_dir / REPORT_FILE
    from customer_scoring.publish import PUBLICATION_FILE

    src = Source(target, publish_dir / PUBLICATION_FILE if target == "duckdb" else None, publish_dir)
    try:
        page, summary = render(src)
    finally:
        src.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    summary.update(path=str(out), bytes=out.stat().st_size, seconds=round(time.monotonic() - start, 2))
    log.info("report: %s (%s KB, %d charts, %.1f s)", out, f"{summary['bytes'] // 1024:,}", summary["charts"],
             summary["seconds"])
    return summary


if __name__ == "__main__":  # pragma: no cover - `customer-scoring report` is the entry point
    import sys

    print(json.dumps(write_report(Path(sys.argv[1])), indent=2))

"""The visual report (customer_scoring/report.py) of the session's demo build, rendered in headless Chromium.

Chromium is Debian's `chromium` package (scripts/test.sh installs it when absent; no browser is downloaded at run
time). Without it these tests fail, they do not skip. One Chromium run loads the report with a passive probe appended
(it only records the page's height) and dumps the DOM after the charts drew, with the browser's console on stderr:
any console message fails the test, every chart must hold an SVG with data marks (bars, lines, markers or a heat map
image), and numbers shown in the page (table cells and chart labels) must equal SQL on the published file. A second
run takes a full-page screenshot of the report itself (its height from the first run) into the test's tmp dir.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from customer_scoring import cli, report

CHROMIUM = "chromium"
WIDTH = 1280
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
PROBE = ("<script>addEventListener('load', () => document.documentElement.setAttribute('data-page-height', "
         "document.documentElement.scrollHeight));</script>")


def _has_extent(d: str, line: bool) -> bool:
    """Whether an SVG path draws something: its bounding box (absolute M, L, H, V and arc end points, as plotly.js
    writes them) has an area, or a length for a line. A null or zero bar is a flat path (`M59,224V224H532V224Z`)."""
    xs, ys, x, y = [], [], 0.0, 0.0
    for cmd, args in re.findall(r"([MLHVAZ])([^MLHVAZ]*)", d):
        nums = [float(n) for n in re.findall(r"-?\d*\.?\d+(?:e-?\d+)?", args)]
        if cmd in "ML" and len(nums) >= 2:
            for i in range(0, len(nums) - 1, 2):
                x, y = nums[i], nums[i + 1]
                xs.append(x), ys.append(y)
        elif cmd == "H" and nums:
            x = nums[-1]
            xs.append(x), ys.append(y)
        elif cmd == "V" and nums:
            y = nums[-1]
            xs.append(x), ys.append(y)
        elif cmd == "A" and len(nums) >= 7:
            x, y = nums[-2], nums[-1]
            xs.append(x), ys.append(y)
    if not xs:
        return False
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    return width > 0 or height > 0 if line else width > 0 and height > 0


class ReportDom(HTMLParser):
    """What a rendered report shows, per chart (the div with data-chart): its data marks (a drawn bar, line or
    marker path, a heat map image) and the texts of its bar and heat map labels; and the cells with data-metric."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.charts: dict[str, dict] = {}
        self.metrics: dict[tuple[str, str], str] = {}
        self.page_height: int | None = None
        self._text_into: list | None = None
        self._metric: tuple[str, str] | None = None

    def _chart(self) -> str | None:
        return next((a["data-chart"] for _, a in reversed(self.stack) if "data-chart" in a), None)

    def _classes(self) -> set[str]:
        return {c for _, a in self.stack for c in (a.get("class") or "").split()}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html" and a.get("data-page-height"):
            self.page_height = int(a["data-page-height"])
        if "data-chart" in a:
            self.charts[a["data-chart"]] = {"marks": 0, "labels": []}
        chart = self._chart()
        if chart and tag in ("path", "image"):
            above = self._classes()
            drawn = (tag == "image" and "hm" in above and float(a.get("width") or 0) > 0) or (
                tag == "path" and "trace" in above and _has_extent(a.get("d") or "", "js-line" in a.get("class", "")))
            self.charts[chart]["marks"] += int(bool(drawn))
        if chart and tag == "text" and ({"bartext"} & set((a.get("class") or "").split())
                                        or "heatmap-label" in self._classes()):
            self._text_into = self.charts[chart]["labels"]
        if "data-metric" in a:
            self._metric = (a["data-metric"], a["data-key"])
            self.metrics[self._metric] = ""
        if tag not in VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break
        self._text_into = None
        self._metric = None

    def handle_data(self, data):
        if self._text_into is not None:
            self._text_into.append(data)
        if self._metric is not None:
            self.metrics[self._metric] += data


def _chromium(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which(CHROMIUM)
    if exe is None:
        pytest.fail("chromium not found: scripts/test.sh installs Debian's chromium package (apt-get install "
                    "chromium); install it the same way to run this test")
    return subprocess.run([exe, "--headless=new", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
                           "--enable-logging=stderr", "--v=0", "--virtual-time-budget=20000", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def rendered(built, tmp_path_factory):
    """The report of the session's demo build (written by `customer-scoring report`), its summary, the DOM Chromium
    rendered and the console messages it logged, the screenshot's path and the seconds each step took."""
    folder = tmp_path_factory.mktemp("report")
    out = folder / "report.html"
    start = time.monotonic()
    assert cli.main(["report", "--publish-dir", str(built.publication.parent), "--out", str(out)]) == 0
    written = time.monotonic() - start
    page = out.read_text(encoding="utf-8")
    probe = folder / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = _chromium(f"--window-size={WIDTH},1000", "--dump-dom", probe.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    dom = ReportDom()
    dom.feed(run.stdout)
    assert dom.page_height, "the probe did not run: the page never loaded"
    shot = folder / "report.png"
    # Chromium's screenshot is the window: a window as tall as the page is a full-page screenshot
    snap = _chromium(f"--window-size={WIDTH},{dom.page_height}", f"--screenshot={shot}", out.as_uri())
    assert snap.returncode == 0, snap.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() + snap.stderr.splitlines() if ":CONSOLE" in line]
    yield dict(out=out, page=page, dom=dom, console=console, shot=shot, written=written,
               con=duckdb.connect(str(built.publication), read_only=True))


def test_report_is_self_contained_and_small(rendered):
    page = rendered["page"]
    assert "Plotly" in page
    assert not re.search(r"<script[^>]*\ssrc=|<link[^>]*\shref=|<img[^>]*\ssrc=\"?http", page), "not inlined"
    assert rendered["out"].stat().st_size < 10_000_000
    assert rendered["written"] < 60


def test_no_console_message(rendered):
    assert rendered["console"] == [], "\n".join(rendered["console"])


def test_every_chart_drew(rendered):
    charts = rendered["dom"].charts
    assert len(charts) >= 10, sorted(charts)  # the demo build has every mart but tier performance's rates
    empty = [name for name, c in charts.items() if c["marks"] == 0]
    assert not empty, f"charts without a data mark: {empty}"
    for section in ("scores", "rfm", "leads", "models", "offers", "activation", "data-quality", "changes"):
        assert any(name.startswith(section + "-") for name in charts), section


def test_screenshot_is_the_whole_page(rendered):
    from struct import unpack

    head = rendered["shot"].read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = unpack(">II", head[16:24])
    assert width == WIDTH and height == rendered["dom"].page_height > 3000


def test_numbers_shown_equal_the_marts(rendered):
    con, dom = rendered["con"], rendered["dom"]
    want = {(p, t): n for p, t, n in con.execute(
        "select profile, tier, count(*) from marts.customer_profile_scores group by all").fetchall()}
    want |= {("lead", t): n for t, n in con.execute("select tier, count(*) from marts.lead_scores group by all")
             .fetchall()}
    shown = {tuple(k.split("/")): int(v.replace(",", "")) for (m, k), v in dom.metrics.items() if m == "tier-count"}
    assert {k: v for k, v in shown.items() if k[0] != "account"} == want
    # the tier bars of a profile are labelled with the same counts
    retain = sorted(n for (p, _), n in want.items() if p == "retain")
    labels = dom.charts["scores-profile-retain"]["labels"]
    assert sorted(int(x.replace(",", "")) for x in labels) == retain
    quarantined = dict(con.execute("select source_table, count(*) from audit.quarantine group by all").fetchall())
    shown = {k: int(v.replace(",", "")) for (m, k), v in dom.metrics.items() if m == "quarantine-count"}
    assert shown == quarantined
    # the RFM grid's cell labels add up to the customers with an R and an F score, and R5 x F5 is among them
    cells = [int(x.replace(",", "")) for x in dom.charts["rfm-grid"]["labels"]]
    total, best = con.execute("select count(*), count(*) filter (where r_score = 5 and f_score = 5) "
                              "from marts.customer_scores where r_score is not null and f_score is not null").fetchone()
    assert sum(cells) == total and best in cells
    # each audience's reached entities, and per channel the distinct people any audience of it reaches
    reached = dict(con.execute("select audience, count(*) from marts.audience_members group by all").fetchall())
    shown = {k: int(v.replace(",", "")) for (m, k), v in dom.metrics.items() if m == "audience-reached"}
    assert reached and {k: v for k, v in shown.items() if v} == reached
    reachable = dict(con.execute("select channel, count(distinct (entity_type, entity_id)) from marts.audience_members "
                                 "group by all").fetchall())
    shown = {k: int(v.replace(",", "")) for (m, k), v in dom.metrics.items() if m == "channel-reachable"}
    assert {k: v for k, v in shown.items() if v} == reachable


def test_missing_marts_say_so(tmp_path):
    """A publication without the marts: every section says "not in this publication", no chart is drawn."""
    db = tmp_path / "customer_scoring.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create schema audit; create table marts.tier_changes (profile varchar)")
    con.close()
    summary = report.write_report(tmp_path, tmp_path / "r.html")
    assert summary["charts"] == 0
    assert set(summary["sections"].values()) == {"missing"}
    assert "Not in this publication" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_tier_performance_and_tier_moves(tmp_path):
    """The sections a single demo build leaves without figures (no complete conversion window, no previous build),
    on a few made-up rows: conversion rate per period and lift per tier, tier moves."""
    db = tmp_path / "customer_scoring.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create schema audit")
    con.execute("create table marts.tier_performance as select * from (values "
                "('retain', date '2026-01-31', 'A', 1, 100, 30, 0.30, 2.0), "
                "('retain', date '2026-01-31', 'B', 2, 200, 20, 0.10, 0.67), "
                "('retain', date '2026-02-28', 'A', 1, 110, 22, 0.20, 1.8), "
                "('retain', date '2026-02-28', 'B', 2, 190, 19, 0.10, 0.9), "
                "('retain', date '2026-03-31', 'A', 1, 120, null, null, null)) "
                "as t(profile, period, tier, tier_rank, population, conversions, conversion_rate, lift)")
    con.execute("create table marts.tier_changes as select * from (values "
                "(date '2026-03-31', date '2026-02-28', 'retain', 'B', 'A', 12), "
                "(date '2026-03-31', date '2026-02-28', 'retain', 'A', 'B', 5)) "
                "as t(as_of_date, previous_as_of_date, profile, from_tier, to_tier, n)")
    con.execute("create table marts.tier_changes_rows as select t.* exclude (n) from marts.tier_changes as t, "
                "range(1000) as r(i) where r.i < t.n")
    con.execute("drop table marts.tier_changes; alter table marts.tier_changes_rows rename to tier_changes")
    con.close()
    summary = report.write_report(tmp_path, tmp_path / "r.html")
    assert summary["sections"]["tier-performance"] == 2 and summary["sections"]["changes"] == 1
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    # the lift of the latest period with a complete window (February; March has no conversions yet)
    assert '"y":[1.8]' in page and '"y":[0.9]' in page


def test_missing_history_gives_the_commands(rendered):
    """A single build has no score history of earlier dates: tier performance, tier moves and triggers say which
    commands make it, with dates from the as-of date (a backtest whose last date has a complete 90-day window)."""
    page = rendered["page"]
    assert page.count('data-hint="history"') == 3
    assert "customer-scoring backtest --from 2026-01-31 --to 2026-04-01 --every 30d" in page
    assert "customer-scoring build --as-of 2026-06-30" in page


def test_activation_on_made_up_rows(tmp_path):
    """Audiences and triggers on a few made-up rows: each audience's reached entities, each person once per channel
    (reached when any audience of the channel reaches them, else the first reason), the latest triggers only."""
    db = tmp_path / "customer_scoring.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create schema audit")
    con.execute("create table marts.audience_members as select * from (values "
                "('call_a', 'phone', 'customer', 'c1'), ('call_a', 'phone', 'customer', 'c2'), "
                "('call_b', 'phone', 'customer', 'c1'), ('mail', 'email', 'customer', 'c1')) "
                "as t(audience, channel, entity_type, entity_id)")
    con.execute("create table marts.audience_exclusions as select * from (values "
                "('call_a', 'phone', 'customer', 'c3', 'no_consent'), "
                "('call_b', 'phone', 'customer', 'c3', 'no_consent'), "
                "('call_b', 'phone', 'customer', 'c4', 'do_not_contact'), "
                "('mail', 'email', 'customer', 'c2', 'unsubscribed')) "
                "as t(audience, channel, entity_type, entity_id, reason)")
    con.execute("create table marts.activation_triggers as select * from (values "
                "('entered_tier', 'retain', date '2026-06-30'), ('entered_tier', 'retain', date '2026-06-30'), "
                "('new_mql', 'lead', date '2026-06-30'), ('left_tier', 'retain', date '2026-05-31')) "
                "as t(trigger_type, profile, first_exported_on)")
    con.close()
    summary = report.write_report(tmp_path, tmp_path / "r.html")
    assert summary["sections"]["activation"] == 3
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    dom = ReportDom()
    dom.feed(page)
    assert {k: v for (m, k), v in dom.metrics.items() if m == "audience-reached"} == {
        "call_a": "2", "call_b": "1", "mail": "1"}
    # phone: c1 and c2 reached, c3 and c4 left out (4 people, 50 %); email: c1 reached, c2 unsubscribed
    assert {k: v for (m, k), v in dom.metrics.items() if m == "channel-reachable"} == {"email": "1", "phone": "2"}
    assert '"name":"excluded: do_not_contact"' in page and '"y":[null,2]' in page  # entered_tier: lead -, retain 2
    assert "left_tier" not in page.split('data-chart="activation-triggers"')[1]


def test_report_help_says_what_it_does(capsys):
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    assert "Write a visual report of the publication" in capsys.readouterr().out


def test_commands_currency_models_and_reasons(rendered):
    """The history commands run as shown (the virtual environment's script, the publication's folder); money shows
    the reporting currency with 2 decimals; a target without a served model says so in its title; the quarantine
    tooltips carry the readable reason."""
    page, con = rendered["page"], rendered["con"]
    hints = re.findall(r'<div class="note" data-hint="history">(.*?)</div>', page)
    codes = [c for h in hints for c in re.findall(r"<code>(.*?)</code>", h)]
    assert codes and all(Path(c.split()[0]).is_file() and c.split()[0].endswith("customer-scoring") for c in codes)
    assert all("--publish-dir" in c for c in codes if " build " in c or " report" in c), codes
    assert "net revenue %{customdata:,.2f} EUR" in page and ",.0f}" not in page
    chosen = dict(con.execute("select target, bool_or(is_chosen) from marts.model_evaluation as e where cutoff_date = "
                              "(select max(cutoff_date) from marts.model_evaluation as l where l.target = e.target) "
                              "group by target").fetchall())
    for target, served in chosen.items():
        assert (f"{target}: validated at the cut-off" in page) and (
            ("green: the model served" if served else "NO MODEL SERVED") in page.split(f"{target}: validated")[1][:300])
    reason = con.execute("select max(reason) from audit.quarantine where reason not like '%''%' "
                         "and reason not like '%/%' and reason not like '%<%'").fetchone()[0]
    assert reason and reason in page.split('data-chart="data-quality-quarantine"')[1]


def test_tier_performance_marks_small_tiers_and_predict(tmp_path):
    """A tier under the minimum population is hatched and "too few to judge", an empty tier is said, rates carry
    their 95 % interval, "converted" is explained, and the predict profile is marked wherever it compares with a date
    without predictions (the backtest dates: not in meta.publication)."""
    db = tmp_path / "customer_scoring.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts; create schema audit; create schema meta")
    con.execute("create table meta.publication as select 'r1' as run_id, date '2026-06-30' as as_of_date, "
                "'2026-06-30T00:00:00' as published_at")
    con.execute("create table marts.tier_performance as select * from (values "
                "('retain', date '2026-01-31', 'A', 1, 100, 30, 0.30, 0.22, 0.39, 2.0, true), "
                "('retain', date '2026-01-31', 'B', 2, 12, 1, 0.08, 0.01, 0.35, 0.5, false), "
                "('retain', date '2026-01-31', 'C', 3, 0, 0, null, null, null, null, false), "
                "('predict', date '2026-01-31', 'A', 1, 90, 20, 0.22, 0.15, 0.31, 1.5, true), "
                "('predict', date '2026-01-31', 'B', 2, 40, 4, 0.10, 0.04, 0.23, 0.7, true), "
                "('lead', date '2026-01-31', 'A', 1, 16, 5, 0.31, 0.14, 0.56, 5.5, false), "
                "('lead', date '2026-01-31', 'B', 2, 300, 15, 0.05, 0.03, 0.08, 0.9, true)) "
                "as t(profile, period, tier, tier_rank, population, conversions, conversion_rate, "
                "conversion_rate_low, conversion_rate_high, lift, meets_min_population)")
    con.execute("alter table marts.tier_performance add column entity_type varchar default 'customer'")
    con.execute("alter table marts.tier_performance add column window_days integer default 90")
    con.execute("create table marts.tier_changes as select * from (values "
                "(date '2026-06-30', date '2026-01-31', 'predict', 'B', 'A'), "
                "(date '2026-06-30', date '2026-01-31', 'retain', 'B', 'A')) "
                "as t(as_of_date, previous_as_of_date, profile, from_tier, to_tier)")
    con.close()
    report.write_report(tmp_path, tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    perf = page.split('<section id="tier-performance"')[1].split("</section>")[0]
    assert re.search(r'data-note="too-few">[^<]*retain B \(12\)', perf)
    assert re.search(r'data-note="empty-tier">[^<]*retain C', perf) and '"0 entities"' in perf
    assert '"name":"tier B (too few to judge)"' in perf and '"shape":"\\u002f"' in perf
    assert '"error_y"' in perf and '"arrayminus"' in perf
    assert re.search(r'data-note="converted">[^<]*90 days[^<]*customer profiles: a completed order', perf)
    assert 'data-note="predict"' in perf and "predict *" in perf and "2026-01-31" in perf
    # every period of predict is a backtest date: its rates are the recency fallback's, said plainly
    assert re.search(r'data-predict="fallback-only">[^<]*these rates come from the recency fallback used on '
                     r"backtest dates, not from the predictive model", perf)
    # the lift chart: profiles in the line charts' order (lead's separate "too few" trace does not push it last),
    # the no-lift line explained in the title (no label over the bars), bar labels of 11 px
    lift = perf.split('data-chart="tier-performance-lift"')[1]
    assert '"categoryarray":["lead","predict *","retain"]' in lift
    assert "dotted line: no lift" in lift and '"text":"no lift' not in lift
    assert lift.count('"textfont":{"color":"#333333","size":11}') >= 2 and '"too few"' in lift
    changes = page.split('<section id="changes"')[1].split("</section>")[0]
    assert "previous as-of date in the history" in changes and "previous build" not in changes.split("<h2>")[1][:80]
    assert 'data-note="predict"' in changes and "predict *: from B" in changes
    # categories in a stable order: profile, then from-tier in tier order
    assert changes.index('"predict *: from B"') < changes.index('"retain: from B"')


def test_offers_models_and_profiles_explained(rendered):
    """The offers chart uses the predictive key (served green, baselines grey); the predictive models say in one
    sentence per target what it predicts and whether the served model beats its best baseline (from
    marts.model_evaluation), with a glossary, the cut-off explained and plain status words; the scores section lists
    every profile with its entity type and description, lead_fit explained."""
    page, con = rendered["page"], rendered["con"]
    offers = page.split('<section id="offers"')[1].split("</section>")[0]
    assert '"marker":{"color":"#1b7837"},"name":"next_best_offers"' in offers
    for baseline in ("popularity", "buy_again"):
        colour = re.search(r'"marker":\{"color":"(#[0-9a-f]{6})"\},"name":"' + baseline + '"', offers).group(1)
        assert len(set(colour[1:].lower()[i:i + 2] for i in (0, 2, 4))) == 1, (baseline, colour)  # a grey
    models = page.split('<section id="models"')[1].split("</section>")[0]
    assert 'data-note="glossary"' in models and all(w in models for w in ("AUC:", "Brier:", "MAE:", "Calibration:"))
    assert re.search(r'data-note="cutoff">Cut-off: the past date each model was validated at, before the as-of', models)
    summary = models.split('data-note="model-summary"')[1].split("</ul>")[0]
    rows = con.execute("select target, model_name, is_baseline, is_chosen, auc, mae from marts.model_evaluation as e "
                       "where cutoff_date = (select max(cutoff_date) from marts.model_evaluation as l "
                       "where l.target = e.target)").fetchall()
    for target in {r[0] for r in rows}:
        ev = [r for r in rows if r[0] == target]
        line = summary.split(f"<b>{target}</b> predicts ")[1].split("</li>")[0]
        auc = any(r[4] is not None for r in ev)
        served = [r for r in ev if r[3] and r[4 if auc else 5] is not None]
        base = [r[4 if auc else 5] for r in ev if r[2] and r[4 if auc else 5] is not None]
        if not served:
            assert "no model is served" in line, line
        elif base:
            value = served[0][4 if auc else 5]
            wins = value > max(base) if auc else value < min(base)
            assert ("AUC" if auc else "MAE") in line and (" beats " in line) == wins, line
    for (status,) in con.execute("select distinct status from marts.model_status").fetchall():
        if status in report.STATUS_TEXT:
            assert f"<td>{report.STATUS_TEXT[status]}</td>" in models and f"<td>{status}</td>" not in models
    scores = page.split('<section id="scores"')[1].split("<h3>")[0]
    table = scores.split('data-table="profiles"')[1]
    names = [r[0] for r in con.execute("select distinct profile from marts.customer_profile_scores").fetchall()]
    names += [n for t, ns in (("lead_scores", ["lead_fit", "lead"]), ("account_scores", ["account"]))
              if con.execute(f"select count(*) from marts.{t}").fetchone()[0] for n in ns]
    for name in names:
        assert f"<tr><td>{name}</td>" in table, name
    assert re.search(r"<tr><td>lead_fit</td><td>lead_fit</td><td>The fit of leads: grade A-D", table)
    assert "scoring_profiles" in table  # where the descriptions come from

"""Activation (issue 15): audiences, consent, suppressions and triggers, checked on real demo rows.

One small demo data set (300 contacts, the demo's seed 42, on which every suppression reason excludes someone) and
one work folder serve the module: a partial build as of D1 of what the activation marts read (`SELECT`, no predict
step, no dbt tests: the activation models' data and unit tests run in the session build and the PostgreSQL build),
then plain dbt invocations on the parse it made: `SELECT` as of D2, the trigger models alone as of D2 again (a rerun)
and as of a later date. Every rule is recomputed here in Python from the work database's inputs
(the consent records, events, do-not-contact entries, contacts and score marts) and compared with the models, row
for row.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from conftest import END_DATE, DBT_TESTS, run_build
from customer_scoring import runner
from customer_scoring.generate import generate_demo_data

D1, D2, LATER = dt.date(2026, 5, 31), END_DATE, dt.date(2026, 7, 15)
SELECT = ["+audience_members", "+audience_exclusions", "+activation_triggers"]
TRIGGER_MODELS = ["int_activation__mql_history", "activation_triggers"]
REASONS = ["do_not_contact", "unsubscribed", "hard_bounce", "no_consent", "missing_address"]
TRIGGER_COLUMNS = ("trigger_id, first_exported_on, changed_on, trigger_type, entity_type, entity_id, contact_id, "
                   "profile, from_tier, to_tier, cast(score_before as varchar) as score_before, "
                   "cast(score_after as varchar) as score_after, moved_factors")
# The interfaces the export writer reads (i15_design: interfaces 1, 2 and 5): ids and scores only.
MEMBER_COLUMNS = ["audience", "channel", "as_of_date", "entity_type", "entity_id", "contact_id", "profile", "score",
                  "tier", "recommended_action"]
EXCLUSION_COLUMNS = ["audience", "channel", "as_of_date", "entity_type", "entity_id", "contact_id", "reason"]
TRIGGER_INTERFACE = ["trigger_id", "first_exported_on", "changed_on", "trigger_type", "entity_type", "entity_id",
                     "contact_id", "profile", "from_tier", "to_tier", "score_before", "score_after", "moved_factors"]


def rows(db: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def rebuild(raw: Path, root: Path, work: Path, as_of: dt.date, models: list[str]) -> None:
    """dbt build of `models` alone as of `as_of` in the work folder, on the parse the module's builds made (no
    preflight or configuration step: the seeds are those of the builds)."""
    settings = runner.BuildSettings(as_of=as_of, raw_path=raw, work_dir=work, publish_dir=root / "publish")
    project = runner.project_dir()
    manifest = runner._PARSED.get(runner._parse_key(settings, project))
    res = runner.invoke_dbt(["build", "--select", *models, "--exclude", *DBT_TESTS["none"]], project, settings,
                            manifest=manifest)
    assert res.success, runner._failures(res) or res.exception


@pytest.fixture(scope="module")
def act(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("activation")
    raw = root / "raw"
    generate_demo_data(raw, contacts=300, seed=42, end_date=END_DATE)
    work = root / "build"
    db = work / "customer_scoring.duckdb"
    out = {"db": db, "raw": raw}
    res = run_build(raw, root, as_of=D1, select=SELECT, work_dir=work)
    assert res.success, res.error
    out[f"triggers_{D1}"] = rows(db, f"select {TRIGGER_COLUMNS} from marts.activation_triggers order by all")
    # D2: the same models, without the preflight and configuration steps D1 ran (same files, same seeds)
    rebuild(raw, root, work, D2, SELECT)
    out[f"triggers_{D2}"] = rows(db, f"select {TRIGGER_COLUMNS} from marts.activation_triggers order by all")
    out["mql_d1"] = {r[0] for r in rows(db, "select entity_id from intermediate.int_activation__mql_history "
                                            "where as_of_date = ?", [D1])}
    rebuild(raw, root, work, D2, TRIGGER_MODELS)
    out["triggers_rerun"] = rows(db, f"select {TRIGGER_COLUMNS} from marts.activation_triggers order by all")
    rebuild(raw, root, work, LATER, ["activation_triggers"])
    out["triggers_later"] = rows(db, f"select {TRIGGER_COLUMNS} from marts.activation_triggers order by all")
    return out


# --- consent --------------------------------------------------------------------------------------------------------
def expected_consents(db: Path) -> dict:
    """(contact, channel) -> (is_granted, source): the latest record of the channel's consent_channel wins (a
    withdrawal first at the same time, then the record key), else the channel's default."""
    channels = rows(db, "select channel, consent_channel, default_granted from config.consent_channels")
    records = defaultdict(list)
    for key, contact, channel, granted, at in rows(
            db, "select consent_record_key, contact_id, channel, is_granted, recorded_at from intermediate.int_consents"):
        records[(contact, channel)].append((at, granted, key))
    out = {}
    for (contact,) in rows(db, "select contact_id from intermediate.int_contacts"):
        for channel, consent_channel, default in channels:
            found = records.get((contact, consent_channel))
            if found:
                latest = max(found, key=lambda r: (r[0], not r[1]))  # at the same time, a withdrawal
                out[(contact, channel)] = (latest[1], "record")
            else:
                out[(contact, channel)] = (default, "default")
    return out


def test_consent_latest_record_wins_else_the_channel_default(act):
    db = act["db"]
    got = {(c, ch): (g, s) for c, ch, g, s in rows(
        db, "select contact_id, channel, is_granted, consent_source from intermediate.int_activation__consents")}
    want = expected_consents(db)
    assert got == want
    # the shipped defaults: e-mail and ads opt-in, phone and crm opt-out, profiling must be recorded to apply
    defaults = {ch: g for (_, ch), (g, s) in got.items() if s == "default"}
    assert defaults == {"email": False, "ads": False, "phone": True, "crm": True, "profiling": True}
    # the demo has withdrawals that override an earlier grant
    overridden = rows(db, """
        select count(*) from intermediate.int_activation__consents as consent
        where consent.channel = 'email' and not consent.is_granted and exists (
            select 1 from intermediate.int_consents as c
            where c.contact_id = consent.contact_id and c.channel = 'email' and c.is_granted)""")[0][0]
    assert overridden > 0


# --- suppressions -----------------------------------------------------------------------------------------------------
def expected_suppressions(db: Path, consents: dict) -> dict:
    """(contact, channel) -> set of reasons, from the inputs as staged."""
    contacts = {c: (e, p) for c, e, p in rows(db, "select contact_id, email, phone from intermediate.int_contacts")}
    master = dict(rows(db, "select contact_id, master_contact_id from intermediate.int_contacts__identity"))
    by_email = defaultdict(set)
    by_phone = defaultdict(set)
    for c, (e, p) in contacts.items():
        if e:
            by_email[e].add(c)
        if p:
            by_phone[p].add(c)
    out = defaultdict(set)
    channels = ["email", "phone", "ads", "crm"]
    for cid, email, phone in rows(db, "select contact_id, email, phone from staging.stg_crm__do_not_contact "
                                      "where dq_status = 'current'"):
        named = set()
        if cid in master:
            named.add(master[cid])
        named |= by_email.get(email, set()) | by_phone.get(phone, set())
        for c in named & contacts.keys():
            for ch in channels:
                out[(c, ch)].add("do_not_contact")
    grants = defaultdict(list)
    for c, at in rows(db, "select contact_id, recorded_at from intermediate.int_consents "
                          "where channel = 'email' and is_granted"):
        grants[c].append(at)
    for c, kind, at in rows(db, "select contact_id, event_type, max(occurred_at) from intermediate.int_events "
                                "where event_type in ('unsubscribe', 'bounce') group by all"):
        if c not in contacts:
            continue
        if kind == "bounce":
            out[(c, "email")].add("hard_bounce")
        elif not any(g > at for g in grants[c]):
            out[(c, "email")].add("unsubscribed")
    for (c, ch), (granted, _) in consents.items():
        if ch in channels and not granted:
            out[(c, ch)].add("no_consent")
    for c, (email, phone) in contacts.items():
        if email is None:
            out[(c, "email")].add("missing_address")
            out[(c, "ads")].add("missing_address")
        if phone is None:
            out[(c, "phone")].add("missing_address")
    return out


def test_suppressions_follow_each_rule_on_the_demo(act):
    db = act["db"]
    got = defaultdict(set)
    for c, ch, reason in rows(db, "select contact_id, channel, reason from intermediate.int_activation__suppressions"):
        got[(c, ch)].add(reason)
    want = expected_suppressions(db, expected_consents(db))
    assert dict(got) == dict(want)
    found = {r for reasons in got.values() for r in reasons}
    assert found == set(REASONS), found


def test_do_not_contact_matches_by_id_email_and_phone_as_written(act):
    """The demo list names people by a record's id, by their e-mail in another case or with spaces, and by their phone
    without its separators: each entry reaches its golden contact on every channel."""
    db = act["db"]
    entries = rows(db, """
        select raw.contact_id, raw.email, raw.phone, coalesce(identity.master_contact_id, by_email.contact_id,
            by_phone.contact_id) as golden
        from staging.stg_crm__do_not_contact as raw
        left join intermediate.int_contacts__identity as identity on raw.contact_id = identity.contact_id
        left join intermediate.int_contacts as by_email on raw.email = by_email.email
        left join intermediate.int_contacts as by_phone on raw.phone = by_phone.phone
        where raw.dq_status = 'current'""")
    assert {("id" if c else "email" if e else "phone") for c, e, p, g in entries if g} == {"id", "email", "phone"}
    suppressed = defaultdict(set)
    for c, ch in rows(db, "select contact_id, channel from intermediate.int_activation__suppressions "
                          "where reason = 'do_not_contact'"):
        suppressed[c].add(ch)
    for *_, golden in entries:
        if golden:
            assert suppressed[golden] == {"email", "phone", "ads", "crm"}, golden


# --- audiences --------------------------------------------------------------------------------------------------------
def _met(value, operator, rule) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        value, rule = str(value).lower(), rule.lower()
    elif isinstance(value, (int, float, Decimal)):
        value, rule = Decimal(str(value)), Decimal(rule)
    return {"=": value == rule, "!=": value != rule, ">": value > rule, ">=": value >= rule, "<": value < rule,
            "<=": value <= rule}[operator]


def expected_selection(db: Path) -> dict:
    """audience -> {entity_id: (channel, entity_type, contact_id, profile, score, tier)}: the score marts' rows of
    the audience's profile and tiers that meet its condition."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        audiences = con.execute("select audience, entity_type, profile, tiers, condition_field, condition_operator, "
                                "condition_value, channel from config.audiences").fetchall()
        out = {}
        for name, entity_type, profile, tiers, field, operator, value, channel in audiences:
            if entity_type == "customer":
                sql = (f"select p.contact_id, p.contact_id, p.score, p.tier, {('c.' + field) if field else 'null'} "
                       "from marts.customer_profile_scores as p join marts.customer_scores as c using (contact_id) "
                       "where p.profile = ?")
                params = [profile]
            elif entity_type == "lead":
                score, tier = ("fit_score", "fit_grade") if profile == "lead_fit" else ("lead_score", "tier")
                sql = f"select contact_id, contact_id, {score}, {tier}, {field or 'null'} from marts.lead_scores"
                params = []
            else:
                sql = f"select account_id, null, account_score, tier, {field or 'null'} from marts.account_scores"
                params = []
            chosen = {}
            for entity_id, contact_id, score, tier, test_value in con.execute(sql, params).fetchall():
                if tiers and tier not in tiers.split(";"):
                    continue
                if field and not _met(test_value, operator, value):
                    continue
                chosen[entity_id] = (channel, entity_type, contact_id, profile, Decimal(str(score)), tier)
            out[name] = chosen
        return out
    finally:
        con.close()


def test_members_and_exclusions_split_what_each_audience_selects(act):
    db = act["db"]
    want = expected_selection(db)
    assert all(want.values()), {a: len(v) for a, v in want.items()}  # every shipped audience selects someone
    members = defaultdict(dict)
    for a, ch, et, eid, cid, profile, score, tier in rows(
            db, "select audience, channel, entity_type, entity_id, contact_id, profile, score, tier "
                "from marts.audience_members"):
        members[a][eid] = (ch, et, cid, profile, score, tier)
    excluded = defaultdict(dict)
    for a, eid, reason in rows(db, "select audience, entity_id, reason from marts.audience_exclusions"):
        excluded[a][eid] = reason
    for audience, chosen in want.items():
        assert not members[audience].keys() & excluded[audience].keys(), audience
        assert members[audience].keys() | excluded[audience].keys() == chosen.keys(), audience
        assert members[audience] == {e: chosen[e] for e in members[audience]}, audience


def test_each_excluded_row_carries_its_first_reason(act):
    db = act["db"]
    suppressions = defaultdict(set)
    for c, ch, reason in rows(db, "select contact_id, channel, reason from intermediate.int_activation__suppressions"):
        suppressions[(c, ch)].add(reason)
    got = {(a, e): r for a, e, r in rows(db, "select audience, entity_id, reason from marts.audience_exclusions")}
    selected = rows(db, "select audience, entity_id, contact_id, channel from intermediate.int_activation__audience_rows")
    want = {}
    for audience, entity_id, contact_id, channel in selected:
        reasons = suppressions.get((contact_id, channel), set())
        if reasons:
            want[(audience, entity_id)] = next(r for r in REASONS if r in reasons)
    assert got == want
    # on the demo, every reason excludes someone from some audience, and an account is never excluded
    assert set(got.values()) == set(REASONS), set(got.values())
    assert not rows(db, "select 1 from marts.audience_exclusions where entity_type = 'account'")


def test_activation_marts_carry_ids_and_scores_only(act):
    db = act["db"]
    for table, columns in (("audience_members", MEMBER_COLUMNS), ("audience_exclusions", EXCLUSION_COLUMNS),
                           ("activation_triggers", TRIGGER_INTERFACE)):
        got = [r[0] for r in rows(db, "select column_name from information_schema.columns where table_schema = "
                                      "'marts' and table_name = ? order by ordinal_position", [table])]
        assert got == columns, table


# --- triggers ---------------------------------------------------------------------------------------------------------
def test_triggers_are_the_tier_changes_and_new_mqls_of_the_build(act):
    db = act["db"]
    ranks = defaultdict(dict)
    for profile, tier, _ in sorted(rows(db, "select profile, tier, min_score from config.tier_thresholds"),
                                   key=lambda r: (r[0], -r[2], r[1])):
        ranks[profile][tier] = len(ranks[profile]) + 1
    want = set()
    for profile, entity_type, entity_id, from_tier, to_tier in rows(
            db, "select profile, entity_type, entity_id, from_tier, to_tier from marts.tier_changes "
                "where as_of_date = ?", [D2]):
        before, after = ranks[profile].get(from_tier), ranks[profile].get(to_tier)
        if after == 1 and before != 1:
            want.add((entity_type, entity_id, profile, "entered_tier"))
        if before == 1 and after != 1:
            want.add((entity_type, entity_id, profile, "left_tier"))
        if before and after and after - before >= 2:
            want.add((entity_type, entity_id, profile, "dropped_two_tiers"))
    mql_d2 = {r[0] for r in rows(db, "select contact_id from marts.lead_scores where is_mql")}
    want |= {("lead", c, "lead", "new_mql") for c in mql_d2 - act["mql_d1"]}
    got = {(r[4], r[5], r[7], r[3]) for r in act[f"triggers_{D2}"]}
    assert got == want
    assert {r[3] for r in act[f"triggers_{D2}"]} >= {"entered_tier", "left_tier", "new_mql"}
    # the first build has no earlier date: nothing changed yet; every trigger of D2 is dated and first sent on D2
    assert act[f"triggers_{D1}"] == []
    assert {(r[1], r[2]) for r in act[f"triggers_{D2}"]} == {(D2, D2)}
    assert all(r[6] == r[5] for r in act[f"triggers_{D2}"] if r[4] != "account")


def test_triggers_are_idempotent_across_reruns_and_later_dates(act):
    # a rerun of D2 adds nothing and changes nothing: the export of D2's rows is the same file
    assert act["triggers_rerun"] == act[f"triggers_{D2}"]
    # a later date with no new change sends nothing again: the log keeps D2's triggers as first sent on D2
    assert act["triggers_later"] == act[f"triggers_{D2}"]


# --- configuration ----------------------------------------------------------------------------------------------------
def test_shipped_configuration_is_valid(act):
    assert rows(act["db"], "select * from intermediate.int_activation__config_errors") == []


def test_an_invalid_configuration_fails_naming_each_row(act, tmp_path):
    """The validation's post-hook fails with one line per problem naming the seed and the row (the rows themselves
    are the unit tests' int_activation__config_errors_names_every_bad_row): run here on a copy of the work database
    holding two problems."""
    db = tmp_path / "customer_scoring.duckdb"
    db.write_bytes(act["db"].read_bytes())
    con = duckdb.connect(str(db))
    con.execute("""create table main.probe as select * from (values
        ('audiences', 'audience=Bad Name', 'audience must be a lower-case snake_case identifier'),
        ('consent_channels', 'channel=ads', 'missing: every channel needs its consent default'))
        as t(config_table, row_key, problem)""")
    con.close()
    settings = runner.BuildSettings(as_of=D2, raw_path=act["raw"], work_dir=tmp_path, publish_dir=tmp_path / "publish")
    project = runner.project_dir()
    res = runner.invoke_dbt(["run-operation", "raise_on_config_errors", "--args",
                             json.dumps({"relation": "main.probe", "what": "activation"})], project, settings,
                            manifest=runner._PARSED.get(runner._parse_key(settings, project)))
    assert not res.success
    log = (tmp_path / "logs" / "dbt.log").read_text()
    assert "Invalid activation configuration, 2 problem(s):" in log
    assert "- audiences (audience=Bad Name): audience must be a lower-case snake_case identifier" in log
    assert "- consent_channels (channel=ads): missing: every channel needs its consent default" in log

"""Issue 10, items 3 and 4, end to end on a small CRM export (contacts, one order, a provider's firmographics):

- a country is recognised however real data writes it: 'Autriche' is AT, 'E' + combining acute + 'tats-Unis' is US;
- a country that stays unknown ('Narnia') is not a missing value that the scoring engine re-weights away (before:
  fit 100, grade A on the age band alone): it fits as the ideal customer profile's '*' row, exactly like a twin lead
  in a listed-as-'*' country (Japan);
- leads at national ISPs and consumer mail (bluewin.ch, libero.it) are consumers like their gmail twin: B2C, no
  company domain, not enriched as the ISP (the provider's rows say 5001+ telecom and media firms)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from customer_scoring import runner

AS_OF = dt.date(2026, 6, 30)

# Every lead was born on 1986-01-01 (40 on the as-of date: band 35-44, fit 1.0) except O1 (70: band 65+, fit 0.2),
# so the age criterion varies among leads. C1 is the one customer (orders are a required table).
CONTACTS = """contact_id,email,country,birth_date,created_at
C1,c1@gmail.com,France,1980-05-05,2025-01-01 10:00:00
N1,n1@gmail.com,Narnia,1986-01-01,2025-01-01 10:00:00
J1,j1@gmail.com,Japan,1986-01-01,2025-01-01 10:00:00
F1,f1@gmail.com,France,1986-01-01,2025-01-01 10:00:00
O1,o1@gmail.com,France,1956-01-01,2025-01-01 10:00:00
A1,a1@gmail.com,Autriche,1986-01-01,2025-01-01 10:00:00
U1,u1@gmail.com,E\u0301tats-Unis,1986-01-01,2025-01-01 10:00:00
G1,g1@gmail.com,Suisse,1986-01-01,2025-01-01 10:00:00
B1,b1@bluewin.ch,Suisse,1986-01-01,2025-01-01 10:00:00
I1,i1@libero.it,Suisse,1986-01-01,2025-01-01 10:00:00
"""

ORDERS = """order_id,contact_id,ordered_at,total_amount
O100,C1,2026-03-01 12:00:00,50.00
"""

FIRMOGRAPHICS = """domain,industry,employee_range,revenue_range
bluewin.ch,Telecommunications,5001+,250M+
libero.it,Media,1001-5000,50M-250M
"""


@pytest.fixture(scope="module")
def leads(tmp_path_factory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("unknown_values")
    raw = root / "raw"
    for folder, name, text in (("crm", "contacts", CONTACTS), ("shop", "orders", ORDERS),
                               ("enrichment", "firmographics", FIRMOGRAPHICS)):
        (raw / folder).mkdir(parents=True, exist_ok=True)
        (raw / folder / f"{name}.csv").write_text(text, encoding="utf-8")
    settings = runner.BuildSettings(as_of=AS_OF, raw_path=raw, work_dir=root / "build", publish_dir=root / "publish",
                                    select=["+lead_scores"], exclude=["resource_type:test", "test_type:unit"])
    res = runner.build(settings)
    assert res.success, res.error
    con = duckdb.connect(str(Path(root / "build" / "customer_scoring.duckdb")), read_only=True)
    rows = con.execute("""
        select scores.contact_id, scores.is_b2b, inputs.company_domain, scores.industry, scores.employee_band,
               scores.country_code, scores.fit_score, scores.fit_grade, inputs.location_fit, inputs.age_band_fit
        from marts.lead_scores as scores
        inner join intermediate.int_lead__fit_inputs as inputs on scores.contact_id = inputs.contact_id
    """).fetchall()
    names = [d[0] for d in con.description]
    con.close()
    return {row[0]: dict(zip(names, row)) for row in rows}


def test_countries_written_in_other_languages_are_recognised(leads):
    assert leads["A1"]["country_code"] == "AT"  # 'Autriche'
    assert leads["U1"]["country_code"] == "US"  # 'E' + U+0301 + 'tats-Unis'
    assert leads["G1"]["country_code"] == "CH"  # 'Suisse'


def test_an_unknown_country_fits_as_any_other_country(leads):
    narnia, japan, france = leads["N1"], leads["J1"], leads["F1"]
    assert narnia["country_code"] is None and japan["country_code"] == "JP"
    # the shipped ideal_customer_profile: country '*' 0.3, age band 35-44 1.0
    assert float(narnia["location_fit"]) == pytest.approx(0.3)
    assert float(narnia["age_band_fit"]) == pytest.approx(1.0)
    assert (narnia["fit_score"], narnia["fit_grade"]) == (japan["fit_score"], japan["fit_grade"])
    assert narnia["fit_score"] < france["fit_score"]
    assert narnia["fit_grade"] != "A"


@pytest.mark.parametrize("lead", ["B1", "I1"])
def test_isp_mail_leads_are_consumers_like_their_gmail_twin(leads, lead):
    isp, gmail = leads[lead], leads["G1"]
    assert isp["is_b2b"] is False and gmail["is_b2b"] is False
    assert isp["company_domain"] is None
    assert (isp["industry"], isp["employee_band"]) == (None, None)  # not enriched as the ISP
    assert (isp["fit_score"], isp["fit_grade"]) == (gmail["fit_score"], gmail["fit_grade"])

"""Regenerate seeds/country_aliases.csv and seeds/free_mail_domains.csv from maintained, offline sources.

Neither source is a dependency of the build: the seeds are committed, and this script is run by hand when a source
publishes a new version (the versions used are written into every row's `source`/`description`).

Country aliases: ISO 3166-1 through the PyPI package `pycountry` (alpha-2, alpha-3, English short, official and
common names) and the translations it bundles from Debian's iso-codes (gettext domain `iso3166-1`) in French,
German, Spanish, Italian and Dutch, plus derived variants (accents folded, hyphen or space, 'Name, Republic of'
turned around, apostrophes, parentheses dropped) and a short list of common spellings kept in this file (UK, USA,
Holland, Russia...). Keys are made as macro `country_lookup_key` makes them (Unicode NFC, dots removed, runs of white
space to one space, trimmed, lower case); it does not fold accents, so both spellings are rows. A key claimed by two
countries is dropped unless one claim comes from a stronger source (project list > alpha-2 > alpha-3 > English name >
translation > derived variant); the dropped keys are printed.

Free mail: the npm package `free-email-domains` (Kikobeats, MIT licence: HubSpot's list of free e-mail providers,
national ISPs included, merged with two disposable-domain lists) for the complete list of consumer domains, and the npm
package `freemail` (ISC licence) whose `data/disposable.txt` tells which of them are throw-away inboxes (kind
'disposable'; the others are 'free'). The project's own rows below keep their descriptions and are always included.

Usage (sources installed in a scratch folder, never into the project):
    python -m venv /tmp/seedsrc && /tmp/seedsrc/bin/pip install pycountry
    (cd /tmp/seedsrc && npm install --ignore-scripts free-email-domains freemail)
    /tmp/seedsrc/bin/python scripts/regenerate_country_and_free_mail_seeds.py --node-modules /tmp/seedsrc/node_modules
(`--ignore-scripts`: free-email-domains' post-install step re-downloads its sources; the published data is used.)
"""
from __future__ import annotations

import argparse
import csv
import gettext
import json
import re
import sys
import unicodedata
from importlib import metadata
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
LANGUAGES = ("fr", "de", "es", "it", "nl")

# Priorities of the sources of a country alias: the lower wins a key claimed by two countries.
PROJECT_LIST, ALPHA_2, ALPHA_3, ENGLISH, TRANSLATION, VARIANT = range(6)

# Common spellings ISO and its translations do not give (the project's own list): alias -> ISO alpha-2.
COMMON_VARIANTS = {
    "GB": ["UK", "U.K.", "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland",
           "The United Kingdom", "Grande-Bretagne", "Angleterre", "Großbritannien", "Gran Bretaña", "Inglaterra",
           "Gran Bretagna", "Inghilterra", "Groot-Brittannië", "Engeland"],
    "US": ["USA", "U.S.A.", "US", "U.S.", "America", "United States of America", "The United States",
           "Amérique", "Vereinigte Staaten von Amerika", "Amerika", "Estados Unidos de América", "EEUU", "EE UU",
           "Stati Uniti d'America", "Verenigde Staten van Amerika"],
    "NL": ["Holland", "The Netherlands", "Hollande", "Olanda", "Holanda"],
    "DE": ["Deutschland", "Bundesrepublik Deutschland", "Allemagne", "Alemania", "Germania", "Duitsland"],
    "FR": ["République française", "Frankreich", "Francia", "Frankrijk"],
    "CH": ["Suisse", "Schweiz", "Svizzera", "Suiza", "Zwitserland", "Confoederatio Helvetica", "Helvetia"],
    "BE": ["Belgique", "België", "Belgien", "Bélgica", "Belgio"],
    "AT": ["Österreich", "Autriche"],
    "ES": ["España", "Espagne", "Spanien", "Spagna", "Spanje"],
    "IT": ["Italia", "Italie", "Italien", "Italië"],
    "RU": ["Russia", "Russie", "Russland", "Rusia", "Rusland"],
    "CZ": ["Czech Republic", "République tchèque", "Tschechische Republik"],
    "TR": ["Turkey", "Turquie", "Türkei", "Turquía", "Turchia", "Turkije"],
    "KR": ["Korea", "Corée du Sud", "Südkorea"],
    "CI": ["Ivory Coast"],
    "MK": ["Macedonia"],
    "SZ": ["Swaziland"],
    "MM": ["Burma"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor"],
    "VA": ["Vatican", "Vatican City"],
    "AE": ["UAE", "U.A.E.", "Emirates"],
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa"],
    "CG": ["Congo-Brazzaville"],
    "IE": ["Éire", "Eire"],
    "LU": ["Lëtzebuerg", "Luxemburg"],
}

# Free-mail rows the project curated before the list came from a maintained source (kept, with their descriptions).
PROJECT_FREE_MAIL = [
    ("gmail.com", "free", "Google consumer mail"), ("googlemail.com", "free", "Google consumer mail"),
    ("yahoo.com", "free", "Yahoo consumer mail"), ("yahoo.fr", "free", "Yahoo consumer mail (France)"),
    ("hotmail.com", "free", "Microsoft consumer mail"), ("hotmail.fr", "free", "Microsoft consumer mail (France)"),
    ("outlook.com", "free", "Microsoft consumer mail"), ("outlook.fr", "free", "Microsoft consumer mail (France)"),
    ("live.com", "free", "Microsoft consumer mail"), ("msn.com", "free", "Microsoft consumer mail"),
    ("icloud.com", "free", "Apple consumer mail"), ("me.com", "free", "Apple consumer mail"),
    ("aol.com", "free", "AOL consumer mail"), ("orange.fr", "free", "ISP mail (France)"),
    ("wanadoo.fr", "free", "ISP mail (France)"), ("free.fr", "free", "ISP mail (France)"),
    ("sfr.fr", "free", "ISP mail (France)"), ("laposte.net", "free", "Consumer mail (France)"),
    ("gmx.de", "free", "Consumer mail (Germany)"), ("gmx.net", "free", "Consumer mail (Germany)"),
    ("web.de", "free", "Consumer mail (Germany)"), ("t-online.de", "free", "ISP mail (Germany)"),
    ("protonmail.com", "free", "Privacy mail provider"), ("proton.me", "free", "Privacy mail provider"),
    ("mailinator.com", "disposable", "Disposable inbox"), ("yopmail.com", "disposable", "Disposable inbox"),
    ("guerrillamail.com", "disposable", "Disposable inbox"), ("10minutemail.com", "disposable", "Disposable inbox"),
    ("zoho.com", "free", "Consumer mail (Zoho)"), ("posteo.de", "free", "Privacy mail provider (Germany)"),
    ("mailbox.org", "free", "Privacy mail provider (Germany)"), ("gmx.fr", "free", "Consumer mail (France)"),
    ("bluewin.ch", "free", "ISP mail (Switzerland, Swisscom)"), ("libero.it", "free", "Consumer mail (Italy)"),
]

WHITE_SPACE = re.compile(r"[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
ZERO_WIDTH = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
CONNECTORS = ("of", "of the", "de", "de la", "del", "du", "des", "di", "van", "van de", "the")


def lookup_key(text: str) -> str:
    """What macro country_lookup_key makes of a raw value (dots removed, clean_text, lower case)."""
    text = ZERO_WIDTH.sub("", text.replace(".", ""))
    text = unicodedata.normalize("NFC", text)
    return WHITE_SPACE.sub(" ", text).strip().lower()


def fold_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("ß", "ss"))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def variants(name: str) -> set[str]:
    """Derived spellings of a name: turned around at the comma, without parentheses, hyphen or space,
    straight or typographic apostrophe, accents folded, and combinations of these."""
    forms = {name}
    if ", " in name:
        head, tail = name.split(", ", 1)
        words = tail.lower().split()
        if len(words) <= 2 or any(tail.lower().endswith(" " + c) or tail.lower() == c for c in CONNECTORS):
            turned = f"{tail} {head}"
            forms.add(turned)
            if turned.lower().startswith("the "):
                forms.add(turned[4:])
    if "(" in name:
        forms.add(re.sub(r"\s*\([^)]*\)", "", name))
    for form in list(forms):
        forms.add(form.replace("-", " "))
    for form in list(forms):
        forms.add(form.replace("'", "\u2019"))
        forms.add(form.replace("\u2019", "'"))
    for form in list(forms):
        forms.add(fold_accents(form))
    return forms


def country_aliases() -> list[tuple[str, str, str, str]]:
    import pycountry

    version = metadata.version("pycountry")
    claims: dict[str, list[tuple[int, str, str]]] = {}

    def claim(alias: str, code: str, priority: int, source: str) -> None:
        key = lookup_key(alias)
        if key:
            claims.setdefault(key, []).append((priority, code, source))

    translations = {
        language: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        for language in LANGUAGES
    }
    english_names = {}
    for country in pycountry.countries:
        code = country.alpha_2
        english_names[code] = getattr(country, "common_name", None) or country.name
        claim(code, code, ALPHA_2, f"ISO 3166-1 alpha-2 (pycountry {version})")
        claim(country.alpha_3, code, ALPHA_3, f"ISO 3166-1 alpha-3 (pycountry {version})")
        names = [n for n in (country.name, getattr(country, "official_name", None),
                             getattr(country, "common_name", None)) if n]
        for name in names:
            claim(name, code, ENGLISH, f"ISO 3166-1 English name (pycountry {version})")
            for form in variants(name):
                claim(form, code, VARIANT, f"variant of ISO 3166-1 English name (pycountry {version})")
            for language, translation in translations.items():
                translated = translation.gettext(name)
                if translated == name:
                    continue  # untranslated: the English name, already claimed
                source = f"ISO 3166-1 name in {language} (iso-codes via pycountry {version})"
                claim(translated, code, TRANSLATION, source)
                for form in variants(translated):
                    claim(form, code, VARIANT, f"variant of {source}")
    for code, aliases in COMMON_VARIANTS.items():
        for alias in aliases:
            claim(alias, code, PROJECT_LIST, "common variant (project list)")
            for form in variants(alias):
                claim(form, code, VARIANT, "variant of common variant (project list)")

    rows, dropped = [], []
    for key, key_claims in sorted(claims.items()):
        best = min(p for p, _, _ in key_claims)
        codes = sorted({c for p, c, _ in key_claims if p == best})
        if len(codes) > 1:
            dropped.append((key, codes))
            continue
        source = sorted(s for p, c, s in key_claims if p == best)[0]
        rows.append((key, codes[0], english_names[codes[0]], source))
    for key, codes in dropped:
        print(f"country alias '{key}' dropped: claimed by {', '.join(codes)}", file=sys.stderr)
    return rows


def free_mail_domains(node_modules: Path) -> list[tuple[str, str, str]]:
    def package(name: str) -> tuple[Path, str, str]:
        folder = node_modules / name
        meta = json.loads((folder / "package.json").read_text())
        return folder, meta["version"], meta.get("license", "unknown licence")

    fed, fed_version, fed_licence = package("free-email-domains")
    freemail, freemail_version, freemail_licence = package("freemail")
    listed = {d.strip().lower() for d in json.loads((fed / "domains.json").read_text())}
    disposable = {
        line.strip().lower() for line in (freemail / "data" / "disposable.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    free = {
        line.strip().lower() for line in (freemail / "data" / "free.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    rows = {domain: (domain, kind, description) for domain, kind, description in PROJECT_FREE_MAIL}
    for domain in sorted(listed):
        if domain in rows or not DOMAIN.match(domain):
            continue
        if domain in disposable and domain not in free:
            rows[domain] = (domain, "disposable", f"Disposable inbox (free-email-domains {fed_version}, {fed_licence}; "
                                                  f"kind from freemail {freemail_version}, {freemail_licence})")
        else:
            rows[domain] = (domain, "free", f"Consumer mail (free-email-domains {fed_version}, {fed_licence})")
    return sorted(rows.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--node-modules", type=Path, required=True,
                        help="folder holding the npm packages free-email-domains and freemail")
    parser.add_argument("--seeds", type=Path, default=PROJECT / "seeds")
    args = parser.parse_args()

    aliases = country_aliases()
    with open(args.seeds / "country_aliases.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["alias_key", "country_code", "country_name", "source"])
        writer.writerows(aliases)
    domains = free_mail_domains(args.node_modules)
    with open(args.seeds / "free_mail_domains.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["domain", "kind", "description"])
        writer.writerows(domains)
    print(f"{len(aliases)} country aliases, {len(domains)} free-mail domains "
          f"({sum(1 for d in domains if d[1] == 'disposable')} disposable)")


if __name__ == "__main__":
    main()

"""Matching a published beneficiary («ΔΗΜΟΣ ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ ΝΑΟΥΣΑΣ», «ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΑΤΤΙΚΗΣ»,
«Δήμος Παπάγου – Χολαργού») to a registry municipality.

A name is reduced to a key: folded (case, accents, final sigma, dashes, spacing; grants.text.fold),
Latin look-alike capitals turned Greek, «ΔΗΜΟΣ» and an honorary title («ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ», «ΙΕΡΑΣ
ΠΟΛΗΣ», «ΗΡΩΙΚΗΣ ΝΗΣΟΥ») removed from both the published and the registry name, since either side may
carry it. «ΝΟΜΟΥ <prefecture>» (or a trailing prefecture name, «ΗΡΑΚΛΕΙΟΥ ΑΤΤΙΚΗΣ», when the whole name
is no municipality) must then agree with the municipality's regional unit or region; it is what tells
Ηρακλείου Αττικής (4604) from Ηρακλείου Κρήτης (7101). `MunicipalityIndex.published_name` is the
same rule the other way round: the name an export must write for this matcher to read it back as the
same municipality. The index is built from one query per import,
into light records (MunicipalityRef) rather than model instances: a list of 100,000 lines is matched
against as many municipalities, and instantiating them cost more than the matching itself.
"""

import difflib
import re
from collections import defaultdict

from django.utils.translation import gettext as _

from grants.models import Municipality
from grants.text import fold, greek_lookalikes, quoted

_PREFIX = re.compile(r"^(ΔΗΜΟΣ|Δ\.)\s*")
_TITLES = re.compile(r"^(ΗΡΩΙΚΗΣ|ΙΕΡΑΣ) (ΠΟΛΕΩΣ|ΠΟΛΗΣ|ΝΗΣΟΥ) ")
_NOMOU = re.compile(r"^(?P<name>.+?)[ ,(]+ΝΟΜΟΥ (?P<prefecture>[^)]+)\)?$")
# The longest registry name with «ΝΟΜΟΥ <prefecture>» is under 70 characters. Longer text is no name,
# and _NOMOU and the trailing-prefecture search take time quadratic in its length.
MAX_NAME = 200

# Prefectures (νομοί) before 2011 that are now split into several regional units, and genitive forms
# that differ from the regional-unit names of grants/data/regional_units.csv. Regional unit codes are
# the first two digits of ELSTAT codes. Region and regional-unit names are understood without a table.
PREFECTURES = {
    "ΑΘΗΝΩΝ": {"45", "46", "47", "48"},
    "ΠΕΙΡΑΙΩΣ": {"51", "52"},
    "ΚΥΚΛΑΔΩΝ": {"58", "59", "60", "63", "65", "66", "67", "68", "70"},
    "ΔΩΔΕΚΑΝΗΣΟΥ": {"61", "62", "64", "69"},
    "ΛΕΣΒΟΥ": {"53", "55"},
    "ΣΑΜΟΥ": {"54", "56"},
    "ΜΑΓΝΗΣΙΑΣ": {"24", "25"},
    "ΚΑΒΑΛΑΣ": {"04", "05"},
    "ΚΕΦΑΛΛΗΝΙΑΣ": {"34", "35"},
    "ΚΕΦΑΛΟΝΙΑΣ": {"34", "35"},
    "ΦΘΙΩΤΙΔΟΣ": {"27"},
    "ΦΩΚΙΔΟΣ": {"31"},
    "ΑΡΓΟΛΙΔΟΣ": {"41"},
    "ΛΕΥΚΑΔΟΣ": {"36"},
    "ΛΑΡΙΣΗΣ": {"22"},
    "ΚΑΡΔΙΤΣΗΣ": {"23"},
    "ΠΡΕΒΕΖΗΣ": {"21"},
    "ΦΛΩΡΙΝΗΣ": {"17"},
    "ΕΥΒΟΙΑΣ": {"29"},
}


class _FoldTable(dict):
    """Character → folded character, filled on first use: folding is per character (decomposition,
    dropped accents, upper case), so str.translate with this table equals fold() before its dash and
    space rules, at a fraction of the cost on 100,000 names."""

    def __missing__(self, code):
        char = chr(code)
        if char in "«»\"'“”":
            folded = ""
        else:
            folded = fold(char) if char.strip() else char
            folded = greek_lookalikes(folded)
        self[code] = folded
        return folded


_TABLE = _FoldTable()
_DASHES = re.compile(r"\s*[\u2010-\u2015\u2212-]\s*")


def _clean(name) -> str:
    """fold(name) with quotes removed and Latin look-alike capitals made Greek."""
    text = str(name or "").translate(_TABLE)
    return " ".join(_DASHES.sub("-", text).split())


def name_key(name) -> str:
    """The matching key of a municipality name, without any «ΝΟΜΟΥ» part."""
    key = _PREFIX.sub("", _clean(name))
    return _TITLES.sub("", key).strip()


class MunicipalityRef:
    """What an import needs of a municipality: matching, the cap (population) and the eligibility
    warning. It stands in for a Municipality wherever the workflow's batch reads one; the name and
    the eligibility rule are the model's own, not copies."""

    __slots__ = (
        "pk",
        "name",
        "elstat_code",
        "unit_code",
        "unit_name",
        "population_2011",
        "population_2021",
        "eligible",
        "eligibility_override",
    )
    FIELDS = (
        "pk",
        "name",
        "elstat_code",
        "regional_unit__code",
        "regional_unit__name",
        "population_2011",
        "population_2021",
        "eligible",
        "eligibility_override",
    )

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    __str__ = Municipality.__str__
    is_eligible = Municipality.is_eligible


# fingerprint → published_names(), for the registry's current fingerprint only (this process's).
_PUBLISHED_NAMES: dict = {}


# PostgreSQL: the registry's version, moved on by triggers whenever what the names depend on changes
# (migration 0021); the content's hash where it is missing.
_VERSION_POSTGRESQL = "SELECT version FROM grants_registryversion WHERE id = 1"
_FINGERPRINT_POSTGRESQL = """
SELECT (SELECT count(*) FROM grants_municipality),
       (SELECT coalesce(sum(hashtext(id || ':' || name || ':' || regional_unit_id)::bigint), 0)
        FROM grants_municipality),
       (SELECT md5(string_agg(u.id || ':' || u.code || ':' || u.name || ':' || r.name, ',' ORDER BY u.id))
        FROM grants_regionalunit u JOIN grants_region r ON r.id = u.region_id)
"""
# SQLite (the demo's few hundred rows): the content itself.
_FINGERPRINT_SQLITE = """
SELECT (SELECT group_concat(id || ':' || name || ':' || regional_unit_id) FROM grants_municipality),
       (SELECT group_concat(u.id || ':' || u.code || ':' || u.name || ':' || r.name)
        FROM grants_regionalunit u JOIN grants_region r ON r.id = u.region_id)
"""


def _registry_fingerprint() -> tuple:
    from django.db import connection

    with connection.cursor() as cursor:
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            cursor.execute(_VERSION_POSTGRESQL)
            version = cursor.fetchone()
            if version is not None:
                return (connection.alias, "version", version[0])
        cursor.execute(_FINGERPRINT_POSTGRESQL if postgresql else _FINGERPRINT_SQLITE)
        return (connection.alias, *cursor.fetchone())


class MunicipalityIndex:
    def __init__(self, municipalities, regions):
        """`municipalities`: MunicipalityRef; `regions`: (regional unit code, its name, region name)."""
        self.by_key = defaultdict(list)
        self.prefectures = defaultdict(set)
        self.unit_names, self.region_names = {}, {}
        for municipality in municipalities:
            self.by_key[name_key(municipality.name)].append(municipality)
        for code, unit_name, region_name in regions:
            self.prefectures[_clean(unit_name)].add(code)
            self.prefectures[_clean(region_name)].add(code)
            self.unit_names[code], self.region_names[code] = _clean(unit_name), _clean(region_name)
        for name, codes in PREFECTURES.items():
            self.prefectures[name] |= codes

    @classmethod
    def published_names_now(cls) -> dict:
        """published_names() of the registry as it is now. Building the index reads and folds every
        municipality (seconds at 100,000), so the answer is kept with a fingerprint of everything it
        depends on (each municipality's id, name and regional unit; the units' and regions' names),
        read by the database in one query: any change to the registry gives another fingerprint and
        a fresh answer, never a stale one."""
        fingerprint = _registry_fingerprint()
        kept = _PUBLISHED_NAMES.get(fingerprint)
        if kept is None:
            kept = cls.load().published_names()
            _PUBLISHED_NAMES.clear()
            _PUBLISHED_NAMES[fingerprint] = kept
        return dict(kept)

    @classmethod
    def load(cls) -> "MunicipalityIndex":
        rows = Municipality.objects.values_list(*MunicipalityRef.FIELDS, "regional_unit__region__name")
        municipalities, regions = [], {}
        for *values, region_name in rows:
            municipality = MunicipalityRef(*values)
            municipalities.append(municipality)
            regions[municipality.unit_code] = (municipality.unit_code, municipality.unit_name, region_name)
        return cls(municipalities, regions.values())

    def match(self, published) -> tuple[MunicipalityRef | None, str]:
        """(municipality, "") or (None, the reason with the closest candidates)."""
        cleaned = _PREFIX.sub("", _clean(published))
        if not cleaned:
            return None, _("the beneficiary is missing")
        if len(cleaned) > MAX_NAME:
            return None, _("«%(n)s» is no municipality: a beneficiary has at most %(m)d characters") % {
                "n": quoted(published),
                "m": MAX_NAME,
            }
        prefecture = None
        found = _NOMOU.match(cleaned)
        if found:
            cleaned, prefecture = found["name"], found["prefecture"].strip()
            if prefecture not in self.prefectures:
                return None, _("unknown prefecture «%(p)s» in «%(n)s»") % {
                    "p": quoted(prefecture),
                    "n": quoted(published),
                }
        key = _TITLES.sub("", cleaned).strip()
        candidates = self.by_key.get(key, [])
        if not candidates and prefecture is None:
            key, prefecture = self._trailing_prefecture(key)
            candidates = self.by_key.get(key, []) if prefecture else []
        if prefecture is not None and candidates:
            codes = self.prefectures[prefecture]
            in_prefecture = [m for m in candidates if m.unit_code in codes]
            if not in_prefecture:
                return None, _("«%(n)s»: no municipality of that name in «%(p)s» (%(c)s)") % {
                    "n": quoted(published),
                    "p": prefecture,
                    "c": self._describe(candidates),
                }
            candidates = in_prefecture
        if len(candidates) == 1:
            return candidates[0], ""
        if candidates:
            return None, _("«%(n)s» is ambiguous: %(c)s; add «ΝΟΜΟΥ <prefecture>»") % {
                "n": quoted(published),
                "c": self._describe(candidates),
            }
        return None, _("no municipality «%(n)s»; closest: %(c)s") % {
            "n": quoted(published),
            "c": self._closest(key) or _("none"),
        }

    def published_name(self, municipality) -> str:
        """The beneficiary as a published list writes it, so that `match` reads it back as
        `municipality` (a MunicipalityRef of this index): the registry name when no other municipality
        shares its key, else the name with «ΝΟΜΟΥ <prefecture>» — the region when it tells the
        namesakes apart («ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ ΝΟΜΟΥ ΑΤΤΙΚΗΣ», as the published lists write it), else the
        regional unit. The one rule for every export that names beneficiaries as published."""
        namesakes = self.by_key.get(name_key(municipality.name), [])
        if len(namesakes) <= 1:
            return municipality.name
        code = municipality.unit_code
        for prefecture in (self.region_names.get(code), self.unit_names.get(code)):
            codes = self.prefectures.get(prefecture, ())
            if prefecture and sum(m.unit_code in codes for m in namesakes) == 1:
                name = f"{municipality.name} ΝΟΜΟΥ {prefecture}"
                found, _reason = self.match(name)
                if found is not None and found.pk == municipality.pk:
                    return name
        # Two namesakes in one regional unit: no published form tells them apart, and an export
        # must not write a name the importer would give to another municipality.
        raise ValueError(f"{municipality.name} ({municipality.elstat_code}): no prefecture tells it apart")

    def published_names(self) -> dict:
        """municipality id → published name, for the municipalities whose registry name is not
        enough (few: the rest are written as the registry has them)."""
        return {
            m.pk: self.published_name(m)
            for namesakes in self.by_key.values()
            if len(namesakes) > 1
            for m in namesakes
        }

    def _trailing_prefecture(self, key: str):
        words = key.split(" ")
        for cut in range(len(words) - 1, 0, -1):
            head, tail = " ".join(words[:cut]), " ".join(words[cut:])
            if tail in self.prefectures and head in self.by_key:
                return head, tail
        return key, None

    def _describe(self, municipalities) -> str:
        return ", ".join(f"{m.name} ({m.unit_name}, {m.elstat_code})" for m in municipalities)

    def _closest(self, key: str) -> str:
        close = difflib.get_close_matches(key, list(self.by_key), n=3, cutoff=0.6)
        return self._describe([m for k in close for m in self.by_key[k]])

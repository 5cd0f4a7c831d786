"""Reading and checking the reference files (grants/data, projects/data/catalogue.csv).

Everything is read and checked before the database is touched, so a malformed file stops the load
with the file, the line and the reason, and nothing is half-written. No database access here.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import CommandError

GRANTS_DATA = Path(__file__).resolve().parent / "data"
CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "projects" / "data" / "catalogue.csv"

REGIONS_FILE = "census2021_regions.csv"
UNITS_FILE = "regional_units.csv"
MUNICIPALITIES_FILE = "census2021_municipalities.csv"
CATEGORIES_FILE = "catalogue_categories.csv"
CONFIRMED_FILE = "catalogue_confirmed.csv"

EXPECTED = {
    "regions": 13,
    "units": 74,
    "municipalities": 332,
    "eligible": 315,
    "categories": 7,
    "catalogue": 38,
}

# grants/data/SOURCES.md: Attica and the South Aegean are transition regions, the rest less developed.
TRANSITION_REGIONS = {"EL30", "EL42"}
# Άγιο Όρος is in the census but is not a municipality.
NOT_MUNICIPALITIES = {"9901"}
# Τρικκαίων was funded by a separate instrument although it is under 100,000 inhabitants.
FUNDED_ELSEWHERE = {"2601"}
ELIGIBILITY_THRESHOLD = 100_000
# Census defect: the row «ΗΡΑΚΛΕΙΟΥ» with 50,495 inhabitants (2021) is Ηράκλειο Αττικής (4604), but the
# file gives it 7101, the code of Ηράκλειο Κρήτης. Matched on name and population, not on line number,
# so a corrected file loads unchanged.
CODE_FIXES = {("7101", "ΗΡΑΚΛΕΙΟΥ", 50495): "4604"}

OFFICIAL_SOURCE = "press release of July 2024"


class ReferenceDataError(CommandError):
    """A malformed reference file: names the file, the line and the reason."""

    def __init__(self, path, line, reason):
        self.path, self.line, self.reason = Path(path), line, reason
        where = f"{self.path}, line {line}" if line else str(self.path)
        super().__init__(f"{where}: {reason}")


@dataclass
class ReferenceData:
    regions: dict = field(default_factory=dict)  # code -> {name, category, population_2021}
    units: dict = field(default_factory=dict)  # code -> {name, region_code}
    municipalities: dict = field(default_factory=dict)  # elstat code -> owned values
    categories: dict = field(default_factory=dict)  # order -> {title_el, title_en}
    catalogue: dict = field(default_factory=dict)  # code -> values
    sources: dict = field(default_factory=dict)  # kind -> file name, for audit notes


def _rows(path: Path, columns: list[str]):
    """(line number, row dict) for every data row, after checking the header and the field count."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReferenceDataError(path, None, f"cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReferenceDataError(path, line, "is not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ReferenceDataError(path, 1, "the file is empty") from None
    header = [h.strip() for h in header]
    missing = [c for c in columns if c not in header]
    if missing:
        raise ReferenceDataError(path, 1, f"missing column(s): {', '.join(missing)}")
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise ReferenceDataError(path, line, f"expected {len(header)} fields, found {len(values)}")
            yield line, {h: v.strip() for h, v in zip(header, values, strict=True)}
    except csv.Error as exc:
        raise ReferenceDataError(path, reader.line_num, f"not valid CSV ({exc})") from None


def _text(path, line, row, column, max_length):
    value = row[column]
    if not value:
        raise ReferenceDataError(path, line, f"{column} is empty")
    if len(value) > max_length:
        raise ReferenceDataError(path, line, f"{column} is longer than {max_length} characters")
    return value


def _count(path, line, row, column):
    value = row[column]
    if not value.isdigit():
        raise ReferenceDataError(path, line, f"{column} must be a whole number, found {value!r}")
    return int(value)


def _code(path, line, row, column, pattern, shape):
    value = row[column]
    if not re.fullmatch(pattern, value):
        raise ReferenceDataError(path, line, f"{column} {value!r} is not {shape}")
    return value


def _unique(path, line, seen: dict, key, what):
    if key in seen:
        raise ReferenceDataError(path, line, f"duplicate {what} {key!r} (also on line {seen[key]})")
    seen[key] = line


def _expect(path, last_line, found, expected, what):
    if found != expected:
        raise ReferenceDataError(path, last_line, f"expected {expected} {what}, found {found}")


def read_regions(path: Path) -> dict:
    regions, seen, last = {}, {}, 1
    for line, row in _rows(path, ["nuts2_region_code", "region_name", "pop_total_2021"]):
        last = line
        code = _code(path, line, row, "nuts2_region_code", r"EL\d\d", "a NUTS2 code like EL30")
        _unique(path, line, seen, code, "region code")
        regions[code] = {
            "name": _text(path, line, row, "region_name", 100),
            "category": "transition" if code in TRANSITION_REGIONS else "less_developed",
            "population_2021": _count(path, line, row, "pop_total_2021"),
        }
    _expect(path, last, len(regions), EXPECTED["regions"], "regions")
    return regions


def read_units(path: Path, regions: dict) -> dict:
    units, seen, last = {}, {}, 1
    columns = ["regional_unit_code", "regional_unit_name", "nuts2_region_code", "region_name"]
    for line, row in _rows(path, columns):
        last = line
        code = _code(path, line, row, "regional_unit_code", r"\d\d", "two digits")
        _unique(path, line, seen, code, "regional unit code")
        region = row["nuts2_region_code"]
        if region not in regions:
            raise ReferenceDataError(path, line, f"unknown region code {region!r}")
        if row["region_name"] != regions[region]["name"]:
            raise ReferenceDataError(
                path,
                line,
                f"region name {row['region_name']!r} does not match {regions[region]['name']!r} "
                f"of {REGIONS_FILE}",
            )
        units[code] = {"name": _text(path, line, row, "regional_unit_name", 100), "region_code": region}
    _expect(path, last, len(units), EXPECTED["units"], "regional units")
    return units


def read_municipalities(path: Path, units: dict) -> dict:
    municipalities, seen, last = {}, {}, 1
    columns = ["elstat_municipality_code", "municipality_name", "pop_total_2021", "pop_total_2011"]
    for line, row in _rows(path, columns):
        last = line
        code = _code(path, line, row, "elstat_municipality_code", r"\d{4}", "a four-digit ELSTAT code")
        if code in NOT_MUNICIPALITIES:
            continue
        name = _text(path, line, row, "municipality_name", 140)
        pop2021 = _count(path, line, row, "pop_total_2021")
        pop2011 = _count(path, line, row, "pop_total_2011")
        code = CODE_FIXES.get((code, name, pop2021), code)
        _unique(path, line, seen, code, "ELSTAT code")
        if code[:2] not in units:
            raise ReferenceDataError(
                path, line, f"unknown regional unit {code[:2]!r} (the first two digits of {code})"
            )
        municipalities[code] = {
            "name": f"ΔΗΜΟΣ {name}",
            "unit_code": code[:2],
            "population_2011": pop2011,
            "population_2021": pop2021,
            "eligible": pop2011 < ELIGIBILITY_THRESHOLD and code not in FUNDED_ELSEWHERE,
        }
    _expect(path, last, len(municipalities), EXPECTED["municipalities"], "municipalities")
    eligible = sum(m["eligible"] for m in municipalities.values())
    # The published figure; a different count means the file or the rule changed, not a detail.
    _expect(path, None, eligible, EXPECTED["eligible"], "eligible municipalities")
    return municipalities


def read_categories(path: Path) -> dict:
    categories, seen, last = {}, {}, 1
    for line, row in _rows(path, ["order", "title_el", "title_en"]):
        last = line
        order = _count(path, line, row, "order")
        _unique(path, line, seen, order, "category order")
        categories[order] = {
            "title_el": _text(path, line, row, "title_el", 200),
            "title_en": _text(path, line, row, "title_en", 200),
        }
    _expect(path, last, len(categories), EXPECTED["categories"], "categories")
    return categories


def read_confirmed(path: Path) -> dict:
    """Official titles (Greek) → line, to check that the catalogue carries each of them as official."""
    confirmed = {}
    for line, row in _rows(path, ["title_el", "title_en", "category_order"]):
        _unique(path, line, confirmed, _text(path, line, row, "title_el", 300), "title")
    return confirmed


def read_catalogue(path: Path, categories: dict, confirmed: dict, confirmed_path: Path) -> dict:
    catalogue, seen_codes, seen_titles, last = {}, {}, {}, 1
    columns = ["code", "title_el", "title_en", "category_order", "official", "source", "description"]
    for line, row in _rows(path, columns):
        last = line
        code = _code(path, line, row, "code", r"[A-Z][A-Z0-9_-]{0,19}", "a code like SC01")
        _unique(path, line, seen_codes, code, "code")
        title_el = _text(path, line, row, "title_el", 300)
        _unique(path, line, seen_titles, title_el, "title")
        order = _count(path, line, row, "category_order")
        if order not in categories:
            raise ReferenceDataError(path, line, f"unknown category_order {order}")
        if row["official"] not in {"0", "1"}:
            raise ReferenceDataError(path, line, f"official must be 0 or 1, found {row['official']!r}")
        official = row["official"] == "1"
        if official and title_el not in confirmed:
            raise ReferenceDataError(
                path, line, f"marked official but its title is not in {confirmed_path.name}"
            )
        catalogue[code] = {
            "title_el": title_el,
            "title_en": _text(path, line, row, "title_en", 300),
            "category_order": order,
            "official": official,
            "source": _text(path, line, row, "source", 300),
            "description": row["description"],
        }
    _expect(path, last, len(catalogue), EXPECTED["catalogue"], "catalogue entries")
    official_titles = {v["title_el"] for v in catalogue.values() if v["official"]}
    for title, line in confirmed.items():
        if title not in official_titles:
            raise ReferenceDataError(
                confirmed_path, line, f"confirmed title is not an official entry of {path.name}"
            )
    return catalogue


def read_all(data_dir: Path | None = None, catalogue_path: Path | None = None) -> ReferenceData:
    data_dir = Path(data_dir) if data_dir else GRANTS_DATA
    catalogue_path = Path(catalogue_path) if catalogue_path else CATALOGUE_FILE
    data = ReferenceData()
    data.regions = read_regions(data_dir / REGIONS_FILE)
    data.units = read_units(data_dir / UNITS_FILE, data.regions)
    data.municipalities = read_municipalities(data_dir / MUNICIPALITIES_FILE, data.units)
    data.categories = read_categories(data_dir / CATEGORIES_FILE)
    confirmed_path = data_dir / CONFIRMED_FILE
    data.catalogue = read_catalogue(
        catalogue_path, data.categories, read_confirmed(confirmed_path), confirmed_path
    )
    data.sources = {
        "region": REGIONS_FILE,
        "regionalunit": UNITS_FILE,
        "municipality": MUNICIPALITIES_FILE,
        "category": CATEGORIES_FILE,
        "catalogueproject": catalogue_path.name,
    }
    return data

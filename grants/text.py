"""Text folding shared by search, matching and imports.

Greek names are published in capitals without accents («ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ») and typed by people in
lower case with accents («Καλαμάτα»). SQLite's upper() only knows ASCII and PostgreSQL's unaccent does
not cover Greek tonos everywhere, so we fold in Python and store the folded key beside the name: the
same search then behaves identically on both databases and can use an index.
"""

import re
import unicodedata

from django.db.models import Q

# Latin capitals drawn exactly like Greek ones. Typed or pasted into a Greek word («ΕΝΤΑΓΜΕΝΗ» with a
# Latin E) they are invisible, so wherever the text is known to be Greek — statuses, municipality
# names, ΑΔΑ codes — they are read as the Greek letter.
LATIN_TO_GREEK = str.maketrans("ABEZHIKMNOPTYX", "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ")

_DASHES = re.compile(r"\s*[\u2010-\u2015\u2212-]\s*")
_SPACES = re.compile(r"\s+")
# How much of a value an error message quotes: an imported cell may hold megabytes.
MAX_QUOTED = 80


def fold(text: str) -> str:
    """Upper-case, accent-free, final-sigma-free, single-spaced, one dash style."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    upper = stripped.upper()  # ς upper-cases to Σ, so final sigma needs nothing more
    upper = _DASHES.sub("-", upper)
    return _SPACES.sub(" ", upper).strip()


def quoted(value) -> str:
    """A value as an error message quotes it: its start, when it is long."""
    text = str(value)
    return text if len(text) <= MAX_QUOTED else text[:MAX_QUOTED] + "…"


def search_q(term: str, folded_fields, exact_fields=()) -> Q | None:
    """The one search rule of the admin, the reports and the API: every word of the folded term, in
    any order, within one of `folded_fields` (stored fold() keys), or the whole term equal to one of
    `exact_fields` (codes typed as published: ELSTAT, MIS, ΑΔΑ). None when the term is empty.
    «καλαματας δημος», «ΚΑΛΑΜΑΤΑ» and «Καλαμάτα» all find «ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ»."""
    term = (term or "").strip()
    if not term:
        return None
    words = Q()
    for word in fold(term).split():
        per_word = Q()
        for field in folded_fields:
            per_word |= Q(**{f"{field}__contains": word})
        words &= per_word
    exact = Q()
    for field in exact_fields:
        exact |= Q(**{f"{field}__iexact": term})
    return words | exact


def greek_lookalikes(folded: str) -> str:
    """`folded` (capitals, see fold) with every Latin look-alike capital made Greek."""
    return folded.translate(LATIN_TO_GREEK)

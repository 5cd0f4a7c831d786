"""What of a catalogue entry's description a municipality reads. The catalogue's descriptions begin
with notes for the programme's officers about where the entry comes from («Ενδεικτική καταχώριση, όχι
επίσημος τίτλος της πρόσκλησης.», «Επιβεβαιωμένος τίτλος του καταλόγου: …»); the portal and the API
show municipalities the rest only. The stored description is unchanged (officers see it whole)."""

import re

# How the officers' notes begin, in the languages descriptions are written in.
OFFICER_NOTE_STARTS = (
    "Ενδεικτική καταχώριση",
    "Επιβεβαιωμένος τίτλος",
    "Illustrative entry",
    "Confirmed title",
)
_SENTENCE_END = re.compile(r"(?<=[.;!])\s+")


def for_municipalities(description: str) -> str:
    """The description without the sentences meant for officers."""
    sentences = _SENTENCE_END.split((description or "").strip())
    kept = [s for s in sentences if s and not s.startswith(OFFICER_NOTE_STARTS)]
    return " ".join(kept)

"""Notes written by code are stored text that the managing authority reads later: they are in the
site's language (settings.LANGUAGE_CODE), whatever language the request or the command runs in."""

from django.utils import translation
from django.utils.translation import gettext_lazy

from grants import audit

LINE = gettext_lazy("Published list %(s)s, line %(n)d.")


def test_a_note_is_in_the_site_language_whatever_the_active_one():
    with translation.override("en"):
        assert audit.note_text(LINE, {"s": "x.csv", "n": 2}) == "Δημοσιευμένος κατάλογος x.csv, γραμμή 2."
        assert translation.get_language() == "en"  # the caller's language is left as it was
    translation.deactivate_all()  # as management commands run
    try:
        assert audit.note_text(LINE, {"s": "x.csv", "n": 2}) == "Δημοσιευμένος κατάλογος x.csv, γραμμή 2."
    finally:
        translation.activate("el")


def test_the_site_language_is_the_setting(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("el"):
        assert audit.note_text(LINE, {"s": "x.csv", "n": 2}) == "Published list x.csv, line 2."


def test_lazy_parameters_are_said_in_the_site_language_too():
    with translation.override("en"):
        note = audit.note_text(
            gettext_lazy("Not listed in %(s)s: deactivated, not deleted."),
            {"s": gettext_lazy("the imported catalogue")},
        )
    assert note.startswith("Δεν περιλαμβάνεται στο ο εισαγόμενος κατάλογος")


def test_a_warning_is_said_in_the_language_it_is_read_in():
    warning = audit.lazy_text(
        gettext_lazy("Budget %(b)s exceeds the cap %(c)s by %(x)s."), {"b": "2 €", "c": "1 €", "x": "1 €"}
    )
    with translation.override("en"):
        assert str(warning) == "Budget 2 € exceeds the cap 1 € by 1 €."
        with audit.site_language():
            assert f"⚠ {warning}" == "⚠ Ο προϋπολογισμός 2 € υπερβαίνει το ανώτατο όριο 1 € κατά 1 €."

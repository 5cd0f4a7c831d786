"""How the audit trail reads in the admin: labels, status labels, names, «€» and dd/mm/yyyy instead
of the stored keys, codes and ids, with the stored events left as they were written."""

import datetime
import re
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import translation

from grants import history, services
from grants.models import AuditEvent, Channel
from grants.workflow import transition
from projects import services as project_services


def _history_of(body: str) -> str:
    return re.search(r"<table class='sc-history'>.*?</table>", body, re.S).group(0)


def _included(programme, kalamata, catalogue, officer, approver):
    app = services.application_get_or_create(programme=programme, municipality=kalamata, actor=officer)[0]
    project_services.selection_add(application=app, project=catalogue[0], amount="1234567.89", actor=officer)
    transition(app, "submit", actor=officer, channel=Channel.ADMIN)
    transition(app, "start_review", actor=officer, channel=Channel.ADMIN)
    transition(app, "propose_inclusion", actor=officer, channel=Channel.ADMIN)
    transition(
        app,
        "include",
        actor=approver,
        channel=Channel.ADMIN,
        inclusion_date=datetime.date(2024, 3, 7),
        decision_ada="ΨΛ9Ξ46ΜΤΛΡ-ΑΒΓ",
    )
    return app


def test_application_history_shows_labels_names_amounts_and_dates(
    client, officer, approver, programme, kalamata, catalogue
):
    app = _included(programme, kalamata, catalogue, officer, approver)
    stored = list(AuditEvent.objects.filter(application=app).values("before", "after"))
    client.force_login(officer)
    page = client.get(reverse("admin:grants_application_change", args=[app.pk]))
    table = _history_of(page.content.decode())
    # Labels of the fields and statuses, in the default language (Greek).
    assert "Κατάσταση: Σε αξιολόγηση → Προς ένταξη" in table
    assert "Κατάσταση: Προς ένταξη → Ενταγμένη" in table
    assert "status:" not in table and "draft" not in table
    # Names, not ids.
    assert f"Πρόγραμμα: — → {programme.title}" in table
    assert "Δήμος: — → ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" in table
    assert f"Έργο: — → {catalogue[0].code} {catalogue[0].title}" in table
    assert f"→ {officer.get_username()}" in table  # who proposed the inclusion
    # Money and dates as officers read them.
    assert "Ποσό: — → 1.234.567,89 €" in table
    assert "Προϋπολογισμός: — → 0,00 €" in table
    assert "— → 07/03/2024" in table and "2024-03-07" not in table
    # Only the display changed: the events keep their raw values.
    assert stored == list(AuditEvent.objects.filter(application=app).values("before", "after"))
    assert AuditEvent.objects.get(application=app, action="workflow.include").after["status"] == "included"


def test_audit_event_pages_read_the_same_way(client, officer, approver, programme, kalamata, catalogue):
    app = _included(programme, kalamata, catalogue, officer, approver)
    event = AuditEvent.objects.get(application=app, action="workflow.submit")
    client.force_login(officer)
    listing = client.get(reverse("admin:grants_auditevent_changelist")).content.decode()
    assert "Κατάσταση: Σε σύνταξη → Υποβλήθηκε" in listing
    assert "Δήμος: — → ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ" in listing
    page = client.get(reverse("admin:grants_auditevent_change", args=[event.pk])).content.decode()
    assert "Κατάσταση: Σε σύνταξη → Υποβλήθηκε" in page


def test_english_labels_follow_the_interface_language(officer, approver, programme, kalamata, catalogue):
    app = _included(programme, kalamata, catalogue, officer, approver)
    events = list(AuditEvent.objects.filter(application=app))
    names = history.names_for(events)
    include = next(e for e in events if e.action == "workflow.include")
    with translation.override("en"):
        rows = history.changes(include, names)
    assert ("Status", "To be included", "Included") in rows
    assert ("Inclusion date", "—", "07/03/2024") in rows


def test_names_cost_one_query_per_related_model_whatever_the_number_of_events(
    officer, approver, programme, kalamata, pyli, catalogue, django_assert_num_queries
):
    _included(programme, kalamata, catalogue, officer, approver)
    few = list(AuditEvent.objects.all())
    app = services.application_get_or_create(programme=programme, municipality=pyli, actor=officer)[0]
    for project in catalogue[1:5]:
        project_services.selection_add(application=app, project=project, amount="1000", actor=officer)
    transition(app, "submit", actor=officer, channel=Channel.ADMIN)
    transition(app, "start_review", actor=officer, channel=Channel.ADMIN)
    transition(app, "propose_inclusion", actor=officer, channel=Channel.ADMIN)
    many = list(AuditEvent.objects.all())
    # programme, municipality, catalogue project, user (who proposed)
    with django_assert_num_queries(4):
        history.names_for(few)
    with django_assert_num_queries(4):
        names = history.names_for(many)
    with django_assert_num_queries(0):
        for event in many:
            history.changes(event, names)


def test_an_event_is_titled_in_athens_time_day_first(programme, kalamata, officer):
    services.application_get_or_create(programme=programme, municipality=kalamata, actor=officer)
    event = AuditEvent.objects.get()
    # A frozen time of the event itself: 13:05 UTC on 26 November is 15:05 in Athens (UTC+2).
    event.created_at = datetime.datetime(2026, 11, 26, 13, 5, tzinfo=ZoneInfo("UTC"))
    assert str(event).startswith("26/11/2026 15:05 ")


def test_an_imports_counts_and_total_read_in_words_and_euros():
    """An import's summary (rows, created, …, total budget) and an export's job are no model's fields:
    they still read in the site's language, the total as money, not as «total_budget: 877800.00»."""
    from grants.models import PreparedImport

    with translation.override("el"):
        assert history.label(PreparedImport, "rows") == "Γραμμές"
        assert (
            history.label(PreparedImport, "needing_approval") == "Γραμμές που χρειάζονται υπεύθυνο έγκρισης"
        )
        assert history.label(PreparedImport, "total_budget") == "Συνολικός προϋπολογισμός"
        assert history.label(None, "job") == "Εργασία εξαγωγής"
        assert history.value(PreparedImport, "total_budget", "877800.00", {}) == "877.800,00 €"
    with translation.override("en"):
        assert history.label(PreparedImport, "unchanged") == "Unchanged"

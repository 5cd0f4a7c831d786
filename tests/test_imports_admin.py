"""The import in the admin (preview, confirm, who may), the catalogue import, and the batch form of
record_decision agreeing with transition()."""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from grants.imports.catalogue import import_catalogue
from grants.models import Application, AuditEvent, Municipality, PreparedImport, Programme
from grants.services import application_get_or_create
from grants.workflow import replay, transition
from grants.workflow_batch import Decision, record_decisions
from projects.models import CatalogueProject, Selection

SAMPLE = Path(__file__).resolve().parent.parent / "grants" / "data" / "inclusions_published_sample.txt"
URL = "/admin/grants/import-inclusions/"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def pyli(registry):
    return Municipality.objects.get(elstat_code="2603")


def counts():
    return Application.objects.count(), AuditEvent.objects.count()


def prepare(client, text, programme):
    """The officer's check: the list is checked and kept as a PreparedImport (or refused)."""
    return client.post(URL, {"programme": programme.pk, "text": text, "format": ""})


def confirm(client, prepared):
    url = reverse("admin-grants-prepared-import-confirm", args=[prepared.pk])
    return client.post(url, {"preview_hash": prepared.preview_hash})


# --- admin ----------------------------------------------------------------------------------------


def test_the_url_is_named_and_before_the_admin_catch_all():
    assert reverse("admin-grants-import-inclusions") == URL


def test_officer_prepares_and_an_approver_confirms(client, registry, officer, approver):
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    before = counts()

    preview = prepare(client, SAMPLE.read_text(), registry)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "ΔΗΜΟΣ ΗΡΩΙΚΗΣ ΠΟΛΕΩΣ ΝΑΟΥΣΑΣ" in page
    # Eight «Ενταγμένη» rows: the officer who prepared it is offered no confirm.
    assert 'name="confirm"' not in page and "You prepared this list" not in page
    assert "8 rows include, change or de-include operations" in page
    prepared = preview.context["prepared"]
    assert (prepared.state, prepared.needs_approval, prepared.prepared_by) == ("pending", True, officer)
    assert Application.objects.count() == before[0]
    assert AuditEvent.objects.filter(action="import.prepare", actor=officer).count() == 1

    client.force_login(approver)
    done = confirm(client, prepared)

    assert done.status_code == 302 and done["Location"] == reverse("admin:grants_application_changelist")
    assert Application.objects.filter(programme=registry).count() == 10
    assert AuditEvent.objects.filter(action="workflow.record_decision", actor=approver).count() == 10
    prepared.refresh_from_db()
    assert (prepared.state, prepared.decided_by) == ("confirmed", approver)
    # The prepared import is used once: a second confirm writes nothing.
    again = counts()
    assert confirm(client, prepared).status_code == 302
    assert counts() == again


def test_the_preview_reads_as_officers_read_figures(client, registry, officer):
    from grants.imports.inclusions import OUTCOME_LABELS

    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the text asserted, whatever the catalogues say
    text = "Προς ένταξη ΔΗΜΟΣ ΠΥΛΗΣ 399,916.12 –"
    preview = prepare(client, text, registry)
    [row] = preview.context["report"].rows
    assert row.outcome == "created" and row.outcome_label == str(OUTCOME_LABELS["created"])
    cells = re.findall(r"<td[^>]*>(.*?)</td>", preview.content.decode(), re.S)
    # Status now, status, budget, date, result, and no approver needed.
    assert cells[-6:] == ["–", "To be included", "399.916,12 €", "–", row.outcome_label, ""]
    # One row, one error: counted in the singular.
    assert "1 row read, total budget 399.916,12 €." in preview.content.decode()
    refused = prepare(client, "Προς ένταξη ΔΗΜΟΣ ΠΟΥΘΕΝΑ 1,00 –", registry)
    assert "1 error: nothing was imported." in refused.content.decode()


def test_officer_uploads_an_xlsx_file_and_confirms_it(client, registry, officer):
    book = Workbook()
    book.active.append(["ΚΑΤΑΣΤΑΣΗ ΠΡΑΞΗΣ", "ΔΙΚΑΙΟΥΧΟΣ", "Π/Υ", "ΗΜΕΡΟΜΗΝΙΑ ΕΝΤΑΞΗΣ"])
    book.active.append(["Προς ένταξη", "ΔΗΜΟΣ ΠΥΛΗΣ", 399916.12, None])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "list.xlsx"
    client.force_login(officer)

    preview = client.post(URL, {"programme": registry.pk, "file": data, "format": ""})
    prepared = preview.context["prepared"]
    assert (prepared.format, prepared.source, prepared.needs_approval) == ("xlsx", "list.xlsx", False)
    # Only «Προς ένταξη»: the officer who prepared it confirms it at once.
    assert 'name="confirm"' in preview.content.decode()
    done = confirm(client, prepared)

    assert done.status_code == 302
    app = Application.objects.get(municipality__elstat_code="2603")
    assert (app.status, app.budget) == ("to_be_included", Decimal("399916.12"))
    assert AuditEvent.objects.get(action="workflow.record_decision").actor == officer


def test_preview_shows_errors_per_line_and_offers_no_confirm(client, registry, officer):
    client.force_login(officer)

    response = prepare(client, "Ενταγμένη ΔΗΜΟΣ ΗΡΑΚΛΕΙΟΥ 1,000.00 01/01/2024", registry)

    page = response.content.decode()
    [error] = response.context["report"].errors
    assert error.line == 1 and "4604" in page and "7101" in page
    assert 'name="confirm"' not in page
    assert response.context["prepared"] is None and not PreparedImport.objects.exists()


def test_auditor_and_municipality_users_are_refused(client, registry, auditor, pyli_user):
    client.force_login(auditor)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"programme": registry.pk, "text": SAMPLE.read_text()}).status_code == 403
    client.force_login(pyli_user)
    assert client.get(URL).status_code == 302  # not staff: the admin sends them to its login
    assert Application.objects.count() == 0
    assert not PreparedImport.objects.exists()


# --- the batch agrees with transition() -----------------------------------------------------------


@pytest.mark.parametrize("note", ["n", ""])  # without a note, the warnings alone make the note
def test_batch_and_transition_write_the_same_values_and_audit(registry, pyli, note):
    other = Programme.objects.create(
        code="OTHER", title="Other", managing_authority="x", total_budget=registry.total_budget
    )
    fields = {"status": "to_be_included", "budget": Decimal("500000.00"), "inclusion_date": None}
    app, _ = application_get_or_create(programme=other, municipality=pyli, channel="import")
    one = transition(app, "record_decision", actor=None, channel="import", note=note, **fields)
    application_get_or_create(programme=registry, municipality=pyli, channel="import")
    [batch] = record_decisions(registry, [Decision(pyli, fields, note=note)], actor=None)

    assert (batch.application.status, batch.application.budget) == (one.status, one.budget)
    assert batch.warnings == one.transition_warnings and batch.warnings  # over the cap
    by_transition = AuditEvent.objects.filter(application=one, action="workflow.record_decision").get()
    by_batch = AuditEvent.objects.filter(
        application=batch.application, action="workflow.record_decision"
    ).get()
    assert (by_batch.before, by_batch.after, by_batch.note) == (
        by_transition.before,
        by_transition.after,
        by_transition.note,
    )


def test_an_application_the_batch_creates_has_one_event_with_what_two_transitions_record(registry, pyli):
    other = Programme.objects.create(
        code="OTHER", title="Other", managing_authority="x", total_budget=registry.total_budget
    )
    fields = {"status": "included", "budget": Decimal("300000.00"), "inclusion_date": "2024-07-02"}
    app, _ = application_get_or_create(programme=other, municipality=pyli, channel="import")
    transition(app, "record_decision", actor=None, channel="import", note="n", **fields)
    created, decided = AuditEvent.objects.filter(application=app).order_by("id")

    [batch] = record_decisions(registry, [Decision(pyli, fields, note="n")], actor=None)

    [event] = AuditEvent.objects.filter(application=batch.application)
    assert batch.created and event.action == "workflow.record_decision" and event.before == {}
    assert event.after == {**created.after, **decided.after, "programme": registry.pk}
    assert event.note == decided.note
    assert replay(batch.application) == {"status": "included", "budget": Decimal("300000.00")}


def test_batch_counts_earlier_rows_towards_the_programme_total(registry):
    registry.total_budget = Decimal("1000000.00")
    registry.save()
    municipalities = list(Municipality.objects.filter(eligible=True).order_by("pk")[:2])
    rows = [
        Decision(m, {"status": "included", "budget": Decimal("600000.00"), "inclusion_date": "2024-07-01"})
        for m in municipalities
    ]

    first, second = record_decisions(registry, rows, actor=None)

    assert not any("total" in w for w in first.warnings)
    assert any("total" in w for w in second.warnings)


def test_batch_tells_the_municipalities_that_have_someone_to_tell(
    registry, pyli, pyli_user, mailoutbox, django_capture_on_commit_callbacks
):
    with_contact, blank_contact = Municipality.objects.exclude(pk=pyli.pk).order_by("pk")[:2]
    Municipality.objects.filter(pk=with_contact.pk).update(contact_emails="dimos@example.gr")
    Municipality.objects.filter(pk=blank_contact.pk).update(contact_emails="  \n ")
    fields = {"status": "to_be_included", "budget": Decimal("1000.00"), "inclusion_date": None}
    rows = [Decision(m, fields) for m in (pyli, with_contact, blank_contact)]

    with django_capture_on_commit_callbacks(execute=True):
        record_decisions(registry, rows, actor=None)

    assert sorted(m.to for m in mailoutbox) == [["dimos@example.gr"], [pyli_user.email]]


# --- catalogue ------------------------------------------------------------------------------------

CATALOGUE = Path(__file__).resolve().parent.parent / "projects" / "data" / "catalogue.csv"


def test_catalogue_reimport_changes_nothing(registry):
    before = AuditEvent.objects.count()
    report = import_catalogue(CATALOGUE.read_bytes(), fmt="csv")
    assert report.ok and len(report.unchanged) == 38
    assert AuditEvent.objects.count() == before


def test_catalogue_update_and_deactivation_never_delete(registry, pyli):
    app, _ = application_get_or_create(programme=registry, municipality=pyli)
    in_use = CatalogueProject.objects.get(code="SC38")
    Selection.objects.create(application=app, project=in_use, amount=Decimal("1000.00"))
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [line for line in lines[1:] if not line.startswith(("SC37,", "SC38,"))]
    rows[0] = rows[0].replace("Οργάνωση γραφείου κίνησης", "Οργάνωση Γραφείου Κίνησης")
    content = "\n".join([header, *rows]) + "\n"

    report = import_catalogue(content.encode(), fmt="csv", source="annex.csv")

    assert report.ok, [str(e) for e in report.errors]
    assert report.updated == ["SC01"]
    assert report.deactivated_in_use == ["SC38"] and report.deactivated_unused == ["SC37"]
    assert CatalogueProject.objects.count() == 38
    assert not CatalogueProject.objects.get(code="SC38").active
    assert CatalogueProject.objects.get(code="SC01").title_el.startswith("Οργάνωση Γραφείου Κίνησης")
    assert AuditEvent.objects.filter(action="catalogue.change", channel="import").count() == 3


def test_catalogue_xlsx_with_active_column(registry):
    book = Workbook()
    book.active.append(["code", "title_el", "title_en", "category_order", "official", "active"])
    for project in CatalogueProject.objects.select_related("category"):
        active = 0 if project.code == "SC02" else 1
        book.active.append(
            [
                project.code,
                project.title_el,
                project.title_en,
                project.category.order,
                int(project.official),
                active,
            ]
        )
    data = io.BytesIO()
    book.save(data)

    report = import_catalogue(data.getvalue(), fmt="xlsx")

    assert report.ok, [str(e) for e in report.errors]
    assert report.deactivated_unused == ["SC02"]
    assert not CatalogueProject.objects.get(code="SC02").active


@pytest.mark.parametrize(
    "content, line, fragment",
    [
        ("code,title_el,title_en,category_order,colour\n", 1, "colour"),
        ("code,title_el,title_en,category_order\nSC01,Α,B,99\n", 2, "category_order"),
        ("code,title_el,title_en,category_order\nSC01,,B,1\n", 2, "title_el"),
        ("code,title_el,title_en,category_order,official\nSC01,Α,B,1,maybe\n", 2, "maybe"),
        ("code,title_el,title_en,category_order\nSC01,Α,B,1\nSC01,Γ,D,1\n", 3, "twice"),
    ],
)
def test_catalogue_errors_change_nothing(registry, content, line, fragment):
    before = (
        AuditEvent.objects.count(),
        list(CatalogueProject.objects.values_list("code", "title_el", "active")),
    )

    report = import_catalogue(content.encode(), fmt="csv")

    assert any(e.line == line and fragment in e.message for e in report.errors), [
        str(e) for e in report.errors
    ]
    assert (
        AuditEvent.objects.count(),
        list(CatalogueProject.objects.values_list("code", "title_el", "active")),
    ) == before


def test_catalogue_command(registry, tmp_path, capsys):
    annex = tmp_path / "annex.csv"
    annex.write_text(
        CATALOGUE.read_text(encoding="utf-8").replace(
            "Οργάνωση γραφείου κίνησης", "Οργάνωση Γραφείου Κίνησης"
        ),
        encoding="utf-8",
    )

    call_command("import_catalogue", str(annex))

    assert CatalogueProject.objects.get(code="SC01").title_el.startswith("Οργάνωση Γραφείου Κίνησης")
    [event] = AuditEvent.objects.filter(action="catalogue.change")
    assert event.object_id == str(CatalogueProject.objects.get(code="SC01").pk)
    assert event.after == {"title_el": CatalogueProject.objects.get(code="SC01").title_el}
    assert "updated: 1, unchanged: 37." in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("code;title\n", encoding="utf-8")
    before = AuditEvent.objects.count(), list(CatalogueProject.objects.values_list("code", "title_el"))
    with pytest.raises(CommandError):
        call_command("import_catalogue", str(bad))
    assert (
        AuditEvent.objects.count(),
        list(CatalogueProject.objects.values_list("code", "title_el")),
    ) == before


def test_a_new_catalogue_entry_is_recorded_as_created_not_as_changed_from_nothing(registry):
    lines = CATALOGUE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    fields = rows[0].split(",")
    fields[0] = "SC77"
    content = "\n".join([header, *rows, ",".join(fields)]) + "\n"

    report = import_catalogue(content.encode(), fmt="csv", source="annex.csv")

    assert report.ok, report.errors
    event = AuditEvent.objects.get(action="catalogue.create")
    assert event.before == {} and event.after["code"] == "SC77"

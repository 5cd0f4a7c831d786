"""An approved amendment's selection events, read as an auditor reads the trail: one event per added,
changed and removed project with the row's id, its figures before and after, and who, how and under
which decision; replayed in chain order, the events give the selections and the budget of each version."""

from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from grants import workflow
from grants.delivery import amendments as svc
from grants.models import AuditEvent, Channel, DecisionVersion
from projects.models import CatalogueProject, Selection

APPROVAL = {"decision_ada": "ΨΓΡ1465ΧΞ7-9ΑΒ", "decision_date": "2025-05-20"}
# The inclusion selected T01, T02 and T03 at 100.000 € each: T01 changes, T02 stays, T03 goes, T04 comes.
NEW_LIST = [
    {"project": "T01", "amount": "150000.00"},
    {"project": "T02", "amount": "100000.00"},
    {"project": "T04", "amount": "80000.00"},
]


def _approve(app, municipality_user, officer, approver, channel):
    amendment = svc.amendment_request(
        application=app, actor=municipality_user, selections=NEW_LIST, justification="Νέος εξοπλισμός"
    )
    svc.amendment_transition(amendment, "propose", actor=officer)
    return svc.amendment_transition(amendment, "approve", actor=approver, channel=channel, **APPROVAL)


def _replayed(events):
    """The selections {object id: (project, amount)} and the budget after each event, in chain order."""
    rows, budget, states = {}, Decimal(0), []
    for event in events:
        if event.action == "selection.remove":
            del rows[event.object_id]
        elif event.action.startswith("selection."):
            project, amount = rows.get(event.object_id, (None, None))
            rows[event.object_id] = (event.after.get("project", project), event.after["amount"])
        if event.action.startswith("selection."):
            budget += Decimal(event.after.get("amount", 0)) - Decimal(event.before.get("amount", 0))
        elif "budget" in event.after:
            budget = Decimal(event.after["budget"])
        states.append((event.action, dict(rows), budget))
    return states


def test_each_selection_event_names_its_row_figures_actor_and_decision(
    included, kalamata_user, officer, approver
):
    ids = {
        s.project.code: s.pk for s in Selection.objects.filter(application=included).select_related("project")
    }
    _approve(included, kalamata_user, officer, approver, Channel.ADMIN)

    events = list(AuditEvent.objects.filter(application=included).order_by("id"))
    events = events[[e.action for e in events].index("amendment.propose") + 1 :]
    assert [e.action for e in events] == [
        "selection.remove",
        "selection.change",
        "selection.add",
        "application.amend",
        "amendment.approve",
    ]
    remove, change, add = events[:3]
    t04 = Selection.objects.get(application=included, project__code="T04")
    selection_type = ContentType.objects.get_for_model(Selection)
    for event in (remove, change, add):
        assert event.content_type == selection_type
        assert event.actor == approver
        assert event.channel == Channel.ADMIN
        assert event.municipality_id == included.municipality_id
        assert event.application_id == included.pk
    # The removed row is named by the id it had, as the municipality's own removals are.
    assert remove.object_id == str(ids["T03"])
    assert remove.object_repr.startswith("T03")
    assert remove.before["amount"] == "100000.00" and remove.after == {}
    assert remove.note == APPROVAL["decision_ada"]
    assert change.object_id == str(ids["T01"])
    assert (change.before, change.after) == ({"amount": "100000.00"}, {"amount": "150000.00"})
    assert add.object_id == str(t04.pk)
    assert add.before == {} and add.after["amount"] == "80000.00"
    assert change.note == add.note == APPROVAL["decision_ada"]
    assert events[3].after["budget"] == "330000.00"
    assert events[3].after["decision_version"] == 2
    assert call_command("verify_audit") is None


def test_the_trail_replays_to_each_version_of_the_decision(included, kalamata_user, officer, approver):
    _approve(included, kalamata_user, officer, approver, Channel.API)
    events = list(included.audit_events.order_by("created_at", "id"))
    states = _replayed(events)
    versions = list(DecisionVersion.objects.filter(application=included).order_by("version"))

    def decided(version):
        return sorted((row["project"], row["amount"]) for row in version.selections), version.budget

    def at(action, nth=0):
        found = [state for state in states if state[0] == action][nth]
        return sorted(found[1].values()), found[2]

    # Selections are audited by catalogue id; the versions keep codes.
    codes = dict(CatalogueProject.objects.values_list("pk", "code"))

    def as_codes(found):
        rows, budget = found
        return sorted((codes[int(project)], amount) for project, amount in rows), budget

    assert as_codes(at("workflow.include")) == decided(versions[0])
    assert as_codes(at("application.amend")) == decided(versions[1])
    # Just before the amend event the selections already sum to the decided budget.
    before_amend = states[[s[0] for s in states].index("application.amend") - 1]
    assert before_amend[2] == versions[1].budget
    assert workflow.replay(included)["budget"] == versions[1].budget

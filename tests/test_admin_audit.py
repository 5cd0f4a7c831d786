"""The audit trail's list in the admin: actions by their labels, filters by actor and municipality
that do not list every account or municipality in the sidebar, and "export what I see"."""

import json
import re

from django.urls import reverse
from django.utils import translation

from grants import history
from grants.models import AuditEvent, Channel
from grants.workflow import transition
from projects import services as project_services
from tests.test_admin import login, new_app

LIST = "admin:grants_auditevent_changelist"


def _submitted(programme, municipality, catalogue, actor):
    app = new_app(programme, municipality, actor=actor)
    project_services.selection_add(application=app, project=catalogue[0], amount="1000", actor=actor)
    transition(app, "submit", actor=actor, channel=Channel.ADMIN)
    return app


@translation.override("en")
def test_action_labels_follow_the_codes_they_name():
    assert history.action_label("selection.add") == "Project added"
    assert history.action_label("workflow.include") == "Workflow: Include"
    assert history.action_label("catalogueproject.bulk_create") == (
        "Catalogue projects created from reference data"
    )
    assert history.action_label("region.update") == "Region changed from reference data"
    assert history.action_label("something.older") == "something.older"


def test_actions_are_listed_and_filtered_by_their_labels(client, officer, programme, kalamata, catalogue):
    _submitted(programme, kalamata, catalogue, officer)
    body = login(client, officer).get(reverse(LIST)).content.decode()
    assert '<td class="field-action_col">Workflow: Submit</td>' in body
    assert ">Project added</a>" in body  # the filter's choice
    assert not re.search(r">\s*(workflow\.submit|selection\.add)\s*<", body)
    # The filter keeps its parameter: bookmarked lists still work.
    response = client.get(reverse(LIST), {"action": "workflow.submit"})
    assert [e.action for e in response.context["cl"].result_list] == ["workflow.submit"]


def test_filter_by_actor_and_by_municipality(
    client, officer, officer2, auditor, programme, kalamata, pyli, catalogue
):
    _submitted(programme, kalamata, catalogue, officer)
    _submitted(programme, pyli, catalogue, officer2)
    for user in (officer, auditor):
        login(client, user)
        response = client.get(reverse(LIST), {"actor__id__exact": officer2.pk})
        events = response.context["cl"].result_list
        assert events and {e.actor_id for e in events} == {officer2.pk}
        body = response.content.decode()
        assert f'<option value="{officer2.pk}" selected>officer2</option>' in body

        response = client.get(reverse(LIST), {"municipality__id__exact": kalamata.pk})
        events = response.context["cl"].result_list
        assert events and {e.municipality_id for e in events} == {kalamata.pk}


def test_the_sidebar_does_not_list_every_municipality(client, officer, programme, kalamata, pyli, catalogue):
    _submitted(programme, kalamata, catalogue, officer)
    body = login(client, officer).get(reverse(LIST)).content.decode()
    select = re.search(r'<select name="municipality__id__exact".*?</select>', body, re.S).group(0)
    assert "admin-autocomplete" in select and select.count("<option") == 1  # the empty choice only
    assert "admin/js/autocomplete.js" in body
    # The choices come as the officer types, folded like the admin's search.
    url = reverse("admin:autocomplete")
    params = {
        "app_label": "grants",
        "model_name": "auditevent",
        "field_name": "municipality",
        "term": "καλαματα",
    }
    found = json.loads(client.get(url, params).content)["results"]
    assert [r["text"] for r in found] == ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]
    assert client.get(reverse(LIST), {"_facets": "1"}).status_code == 200


def test_export_the_audit_trail_from_its_list(client, auditor, officer, programme, kalamata, catalogue):
    _submitted(programme, kalamata, catalogue, officer)
    chosen = AuditEvent.objects.get(action="workflow.submit")
    client.force_login(auditor)
    response = client.post(
        reverse(LIST), {"action": "export_audit_trail_csv", "_selected_action": [chosen.pk]}
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    lines = body.decode("utf-8").strip().splitlines()
    assert len(lines) == 2 and "workflow.submit" in lines[1]
    event = AuditEvent.objects.filter(action="report.export").latest("id")
    assert (event.actor, event.after["report"], event.after["rows"]) == (auditor, "audit-trail", 1)

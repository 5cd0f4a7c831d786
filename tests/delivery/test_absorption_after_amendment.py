"""Issue 14's «Done when»: after an approved amendment the absorption report shows both budgets — the
inclusion's (version 1 of the decision) and the current one — in the API, the JSON and the CSV."""

import csv
import io
import json

from rest_framework.test import APIClient

from grants.delivery import amendments as svc

APPROVAL = {"decision_ada": "ΨΓΡ1465ΧΞ7-9ΑΒ", "decision_date": "2025-05-20"}
NEW_LIST = [
    {"project": "T01", "amount": "150000.00"},
    {"project": "T02", "amount": "100000.00"},
    {"project": "T04", "amount": "80000.00"},
]


def test_the_report_shows_the_inclusion_budget_beside_the_amended_one(
    client, included, kalamata_user, officer, approver, auditor
):
    amendment = svc.amendment_request(
        application=included, actor=kalamata_user, justification="Αύξηση του κόστους", selections=NEW_LIST
    )
    svc.amendment_transition(amendment, "propose", actor=officer)
    svc.amendment_transition(amendment, "approve", actor=approver, **APPROVAL)

    api = APIClient()
    api.force_authenticate(auditor)
    [row] = api.get("/api/v1/reports/absorption/", {"group": "operation"}).data["results"]
    assert (row["included_budget"], row["current_budget"]) == ("300000.00", "330000.00")

    client.force_login(auditor)

    def body(url):
        response = client.get(url, {"group": "operation"})
        return b"".join(response.streaming_content) if response.streaming else response.content

    [row] = json.loads(body("/reports/absorption.json"))
    assert (row["included_budget"], row["current_budget"]) == ("300000.00", "330000.00")
    table = list(csv.reader(io.StringIO(body("/reports/absorption.csv").decode("utf-8-sig"))))
    [line] = [r for r in table[1:] if r and r[0]]
    # The two budgets are the first two figures (each followed by its share), as in the JSON.
    assert (line[2], line[4]) == ("300000.00", "330000.00")

"""Every format says the same figures the same way: JSON and CSV agree to the last decimal, and a CSV
has one kind of line ending (LF) whichever path (csv.writer or PostgreSQL's COPY) wrote it."""

import csv
import io
import json

import pytest

from grants import services
from projects import services as project_services
from tests.conftest import make_municipality


@pytest.fixture
def three_applicants(programme, kalamata, pyli, regional_unit, catalogue, officer):
    messini = make_municipality(regional_unit, "4403", "ΔΗΜΟΣ ΜΕΣΣΗΝΗΣ", 23000)
    for i, municipality in enumerate([kalamata, pyli, messini]):
        app, _ = services.application_get_or_create(programme=programme, municipality=municipality)
        project = catalogue[0] if i == 0 else catalogue[1]
        project_services.selection_add(application=app, project=project, amount="1000.5", actor=officer)


def _download(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def test_json_keeps_a_shares_four_decimals_like_the_csv(client, three_applicants, auditor):
    rows = json.loads(_download(client, auditor, "/reports/popularity.json"))
    table = list(
        csv.reader(io.StringIO(_download(client, auditor, "/reports/popularity.csv").decode("utf-8-sig")))
    )

    first = rows[0]
    assert first["share"] == "0.6667" and first["amount"] == "2001.00"
    assert rows[1]["share"] == "0.3333"
    assert table[1][5] == first["share"]  # the CSV's share column


@pytest.mark.parametrize("name", ["operations", "selections", "popularity", "audit-trail"])
def test_csv_has_one_kind_of_line_ending(client, three_applicants, auditor, name):
    body = _download(client, auditor, f"/reports/{name}.csv")

    assert b"\r" not in body
    assert body.endswith(b"\n") and body.count(b"\n") >= 2

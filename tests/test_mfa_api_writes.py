"""The second factor on the API's writes (tests/test_mfa.py's rule): a password-only staff session is
refused every write, a verified one gets the officer's answer of the permission matrix. Its cases share
the officer, A's application and export, built once for the module (tests/conftest.py: module_db)."""

import pytest
from django.urls import reverse

from tests.api.conftest import make_application_a, make_export_a
from tests.api.test_permission_matrix import EXPECTED, _kwargs, endpoints
from tests.conftest import (
    make_catalogue,
    make_category,
    make_kalamata,
    make_municipality_user,
    make_programme,
    make_region,
    make_regional_unit,
    make_staff,
    per_test,
)
from tests.test_mfa import enrol, mfa_on, signed_in  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def built(module_db, module_private_root):
    """tests/test_mfa.py's officer, application_a, category and export_a, in the order they were made."""
    with module_db.unblock():
        officer = make_staff("officer")
        programme = make_programme()
        kalamata = make_kalamata(make_regional_unit(make_region()))
        category = make_category()
        application_a = make_application_a(programme, kalamata, make_catalogue(category))
        export_a = make_export_a(make_municipality_user("kalamata", kalamata))
    return {"officer": officer, "application_a": application_a, "category": category, "export_a": export_a}


officer, application_a, category, export_a = (
    per_test(name, "built") for name in ("officer", "application_a", "category", "export_a")
)


# The money chain's endpoints have their own matrix (tests/api/test_money_permission_matrix.py); the
# second factor is held for them by the same middleware as for these.
WRITES = [
    (name, method)
    for name, method in endpoints()
    if method not in ("GET",) and name != "auth-token" and (name, method) in EXPECTED
]


@pytest.mark.parametrize(("name", "method"), WRITES)
def test_api_writes_need_a_verified_session(name, method, officer, application_a, category, export_a):
    expected, body = EXPECTED[(name, method)]
    url = reverse(f"api:{name}", kwargs=_kwargs(name, application_a, category, export_a))
    unverified = getattr(signed_in(officer, api=True), method.lower())(url, body, format="json")
    assert unverified.status_code == 403 and unverified.json()["code"] == "mfa_required"
    device, _codes = enrol(officer)
    verified = getattr(signed_in(officer, verified_by=device, api=True), method.lower())(
        url, body, format="json"
    )
    assert verified.status_code == expected["officer"], getattr(verified, "data", None)

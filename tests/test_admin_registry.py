"""The registry side of the admin: the municipality form (eligibility and cap overrides through
their audited services), the catalogue (audited, deactivated rather than deleted) and accounts
(deactivated, never deleted, when they have history)."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse

from grants.models import AuditEvent, CapOverride, Channel
from projects import services as project_services
from tests.test_admin import inline_post, login, municipality_post, new_app

# -- municipality form: eligibility and cap overrides ---------------------------------------------


def test_municipality_change_form_shows_how_the_cap_is_derived(client, officer, programme, kalamata):
    body = login(client, officer).get(reverse("admin:grants_municipality_change", args=[kalamata.pk])).content
    body = body.decode()
    assert "69.849" in body and "27,90 €" in body and "1.948.787,10 €" in body and "1.950.000,00 €" in body


def test_eligibility_override_needs_a_reason_and_is_audited(client, officer, programme, kalamata):
    url = reverse("admin:grants_municipality_change", args=[kalamata.pk])
    response = login(client, officer).post(url, municipality_post(kalamata, eligibility_override="false"))
    assert response.status_code == 200
    assert "An eligibility override needs a reason." in response.content.decode()
    kalamata.refresh_from_db()
    assert kalamata.eligibility_override is None

    data = municipality_post(
        kalamata, eligibility_override="false", eligibility_override_reason="Funded by ITI"
    )
    assert client.post(url, data).status_code == 302
    kalamata.refresh_from_db()
    assert kalamata.eligibility_override is False
    event = AuditEvent.objects.get(action="municipality.eligibility_override")
    assert (event.channel, event.actor, event.after["eligibility_override"]) == (
        Channel.ADMIN,
        officer,
        False,
    )


def test_cap_override_through_the_form_is_audited(client, officer, programme, kalamata):
    url = reverse("admin:grants_municipality_change", args=[kalamata.pk])
    response = login(client, officer).post(url, municipality_post(kalamata, cap_override_amount="2000000"))
    assert "A cap override needs a reason." in response.content.decode()
    assert not CapOverride.objects.exists()

    data = municipality_post(kalamata, cap_override_amount="2000000", cap_override_reason="Decision 12/2024")
    assert client.post(url, data).status_code == 302
    assert programme.cap_for(kalamata) == Decimal("2000000.00")
    event = AuditEvent.objects.get(action="cap.override")
    assert (event.channel, event.after["amount"], event.before["rule_cap"]) == (
        Channel.ADMIN,
        "2000000.00",
        "1950000.00",
    )
    assert "2.000.000,00 €" in client.get(reverse("admin:grants_municipality_changelist")).content.decode()


# -- catalogue and accounts ----------------------------------------------------------------------


def test_catalogue_edits_are_audited_and_entries_in_use_are_deactivated_not_deleted(
    client, officer, superuser, programme, kalamata, catalogue
):
    project_services.selection_add(
        application=new_app(programme, kalamata), project=catalogue[0], amount="10"
    )
    url = reverse("admin:projects_catalogueproject_change", args=[catalogue[0].pk])
    data = {
        "title_el": "Νέος τίτλος",
        "title_en": "New title",
        "category": catalogue[0].category_id,
        "active": "on",
    }
    assert login(client, officer).post(url, data).status_code == 302
    event = AuditEvent.objects.get(action="catalogue.change")
    assert (event.channel, event.before["title_el"], event.after["title_el"]) == (
        Channel.ADMIN,
        "Έργο 1",
        "Νέος τίτλος",
    )

    login(client, superuser)
    assert (
        client.get(reverse("admin:projects_catalogueproject_delete", args=[catalogue[0].pk])).status_code
        == 403
    )
    response = client.post(
        reverse("admin:projects_catalogueproject_changelist"),
        {"action": "deactivate", "_selected_action": [catalogue[0].pk]},
    )
    assert response.status_code == 302
    catalogue[0].refresh_from_db()
    assert catalogue[0].active is False
    assert AuditEvent.objects.filter(action="catalogue.change", after__active=False).count() == 1


def test_users_with_history_are_deactivated_not_deleted(
    client, superuser, officer, officer2, programme, kalamata
):
    new_app(programme, kalamata, actor=officer)
    login(client, superuser)
    assert client.get(reverse("admin:auth_user_delete", args=[officer.pk])).status_code == 403
    client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [officer.pk, officer2.pk], "post": "yes"},
    )
    assert User.objects.filter(pk=officer.pk).exists()

    response = client.post(
        reverse("admin:auth_user_changelist"), {"action": "deactivate", "_selected_action": [officer.pk]}
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.is_active is False
    event = AuditEvent.objects.get(action="account.deactivate")
    assert (event.actor, event.channel, event.object_id) == (superuser, Channel.ADMIN, str(officer.pk))


# -- amounts typed the Greek way -----------------------------------------------------------------


def test_cap_override_amount_is_typed_the_greek_way(client, officer, programme, kalamata):
    url = reverse("admin:grants_municipality_change", args=[kalamata.pk])
    data = municipality_post(
        kalamata, cap_override_amount="2.100.000,00", cap_override_reason="Απόφαση 12/2024"
    )
    assert login(client, officer).post(url, data).status_code == 302
    assert programme.cap_for(kalamata) == Decimal("2100000.00")


def test_programme_amounts_are_typed_the_greek_way(client, officer, programme):
    url = reverse("admin:grants_programme_change", args=[programme.pk])
    form = login(client, officer).get(url).context["adminform"].form
    data = {bf.name: "" if bf.value() is None else bf.value() for bf in form}
    data.update(
        total_budget="240.000.000,00", cap_rate="27,90", cap_rounding_step="10.000,00", cap_floor="220.000,00"
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    programme.refresh_from_db()
    assert (programme.total_budget, programme.cap_floor) == (Decimal("240000000.00"), Decimal("220000.00"))
    event = AuditEvent.objects.get(action="programme.update")
    # Unchanged figures, whatever way they were typed, are not recorded as changes.
    assert set(event.after) == {"total_budget", "cap_floor"}


def test_selection_amount_in_the_inline_is_typed_the_greek_way(
    client, officer, programme, kalamata, catalogue
):
    app = new_app(programme, kalamata)
    selection = project_services.selection_add(application=app, project=catalogue[0], amount="1000")
    url = reverse("admin:grants_application_change", args=[app.pk])
    response = login(client, officer).post(url, inline_post(app, [(selection, "20.400,00", False)]))
    assert response.status_code == 302
    selection.refresh_from_db()
    assert selection.amount == Decimal("20400.00")


# -- deactivating a catalogue entry in use -------------------------------------------------------


def test_deactivating_an_entry_in_use_says_how_many_applications_keep_it(
    client, officer, programme, kalamata, pyli, catalogue
):
    for m in (kalamata, pyli):
        project_services.selection_add(application=new_app(programme, m), project=catalogue[0], amount="10")
    response = login(client, officer).post(
        reverse("admin:projects_catalogueproject_changelist"),
        {"action": "deactivate", "_selected_action": [catalogue[0].pk, catalogue[1].pk]},
        follow=True,
    )
    (message,) = [str(m) for m in response.context["messages"]]
    assert message == (
        "2 entries deactivated. "
        "Still selected by 2 applications: those selections stay, new ones are refused."
    )


def test_programme_rates_take_the_greek_decimal_comma(client, officer, programme):
    url = reverse("admin:grants_programme_change", args=[programme.pk])
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    form = client.get(url).context["adminform"].form
    data = {bf.name: "" if bf.value() is None else bf.value() for bf in form}
    assert data["total_budget"] == "235.285.163,00"  # amounts come back as a Greek page writes them
    data.update(cofinancing_less_developed="0,8")

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    programme.refresh_from_db()
    assert programme.cofinancing_less_developed == Decimal("0.8")
    assert set(AuditEvent.objects.get(action="programme.update").after) == {"cofinancing_less_developed"}

"""Two people acting at once, on a real PostgreSQL: row locks decide, nothing is half-written."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from grants import workflow
from grants.models import Application, AuditEvent
from grants.models import ApplicationStatus as S
from grants.services import application_get_or_create
from projects.models import Selection
from projects.services import SelectionError, selection_add, selection_remove, selection_update

# Ten threads on committed data per test: long, so `slow` (make test-fast leaves it out; CI runs it).
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def run_at_once(n, work):
    """Start n threads that call work(i) together; return what each returned or raised."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def runner(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_ten_threads_include_the_same_application(programme, kalamata, catalogue, officer, approver):
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    selection_add(application=app, project=catalogue[0], amount="50000", actor=officer)
    workflow.transition(app, "submit", actor=officer)
    workflow.transition(app, "start_review", actor=officer)
    workflow.transition(app, "propose_inclusion", actor=officer)

    results = run_at_once(
        10,
        lambda i: workflow.transition(
            Application.objects.get(pk=app.pk),
            "include",
            actor=approver,
            inclusion_date="2024-07-02",
            decision_ada="ΕΨΚ446ΜΤΛ6-ΡΞΥ",
        ),
    )
    succeeded = [r for r in results if isinstance(r, Application)]
    refused = [r for r in results if isinstance(r, workflow.TransitionError)]
    assert len(succeeded) == 1 and len(refused) == 9, results
    assert all(
        "not possible while" in " ".join(r.messages) or "Ενταγμένη" in " ".join(r.messages) for r in refused
    )
    assert AuditEvent.objects.filter(application=app, action="workflow.include").count() == 1
    app.refresh_from_db()
    assert app.status == S.INCLUDED
    assert workflow.replay(app) == {"status": app.status, "budget": app.budget}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_ten_threads_add_selections_that_together_break_the_cap(
    programme, kalamata, catalogue, kalamata_user
):
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    cap = programme.cap_for(kalamata)  # 1,950,000
    each = Decimal("300000.00")  # each fits alone; six fit together, ten do not

    results = run_at_once(
        10,
        lambda i: selection_add(
            application=Application.objects.get(pk=app.pk),
            project=catalogue[i],
            amount=each,
            actor=kalamata_user,
        ),
    )
    saved = [r for r in results if isinstance(r, Selection)]
    refused = [r for r in results if isinstance(r, SelectionError)]
    assert len(saved) == int(cap // each) == 6, results
    assert len(refused) == 4
    total = sum(Selection.objects.filter(application=app).values_list("amount", flat=True))
    assert total <= cap
    app.refresh_from_db()
    assert app.budget == total
    assert AuditEvent.objects.filter(application=app, action="selection.add").count() == len(saved)
    assert workflow.replay(app) == {"status": app.status, "budget": app.budget}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_removing_and_editing_one_selection_at_once_refuses_the_losers_cleanly(
    programme, kalamata, catalogue, kalamata_user
):
    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    selection = selection_add(application=app, project=catalogue[0], amount="1000", actor=kalamata_user)

    # Each read before any of them writes, as three views would: read in the thread, a removal that
    # had already committed made the read itself fail (DoesNotExist), which is not what is tested.
    copies = [Selection.objects.select_related("application").get(pk=selection.pk) for _ in range(3)]

    def work(i):
        current = copies[i]
        if i < 2:
            return selection_remove(selection=current, actor=kalamata_user)
        return selection_update(selection=current, amount="7.00", actor=kalamata_user)

    results = run_at_once(3, work)

    # One removal always wins; the other loses, and so does the edit if it came after the removal.
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) in (1, 2), results
    assert all(isinstance(e, SelectionError) and not hasattr(e, "error_dict") for e in errors), results
    assert not Selection.objects.filter(pk=selection.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_an_eligibility_override_waits_for_a_transition_in_progress(programme, kalamata, catalogue, officer):
    # A transition holds the municipality's row: an override started meanwhile cannot change the
    # eligibility the transition's guard has just read until the transition has committed.
    import psycopg
    from django.db import transaction

    from grants.models import Municipality

    app, _ = application_get_or_create(programme=programme, municipality=kalamata)
    selection_add(application=app, project=catalogue[0], amount="1000", actor=officer)
    with transaction.atomic():
        workflow.transition(Application.objects.get(pk=app.pk), "submit", actor=officer)
        settings = connection.settings_dict
        other = psycopg.connect(
            host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"]
        )
        with other, other.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
            table = Municipality._meta.db_table
            with pytest.raises(psycopg.errors.LockNotAvailable):
                cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [kalamata.pk])

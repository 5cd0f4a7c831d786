"""The audit trail's hash chain: verify_audit holds on a fresh and on a demo database, names the first
event that no longer matches when a row is changed, deleted or slipped in behind the application's back
(by the table's owner, who can switch the append-only trigger off), and stays whole with concurrent
writers and with the import's COPY writer."""

import json
import threading
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation

from grants import audit, audit_chain
from grants.imports.inclusions import import_inclusions
from grants.models import AuditEvent

SAMPLE = Path(__file__).resolve().parent.parent / "grants" / "data" / "inclusions_published_sample.txt"
TABLE = AuditEvent._meta.db_table
TRIGGER = "grants_auditevent_append_only"


def verify(language="en"):
    """(exit status, what verify_audit printed)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", language=language, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, err.getvalue()
    return 0, out.getvalue()


def events(kalamata, n, note="event"):
    return [
        audit.record(action="test.chain", obj=kalamata, note=f"{note} {i}", after={"i": i}) for i in range(n)
    ]


@contextmanager
def as_owner():
    """What the table's owner (the tests' superuser) can do: switch the append-only trigger off."""
    with connection.cursor() as cursor:
        # The test's own inserts leave deferred foreign-key checks that ALTER TABLE will not wait for.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        try:
            yield cursor
        finally:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")


def test_an_empty_trail_holds(db):
    assert verify() == (0, f"The audit trail's chain holds: 0 events, last hash {audit_chain.GENESIS}.\n")


def test_a_fresh_trail_holds_and_says_so_in_greek(db, kalamata):
    written = events(kalamata, 5)
    count = AuditEvent.objects.count()
    status, printed = verify(language="el")
    assert status == 0
    assert printed == (
        f"Η αλυσίδα του ιστορικού ισχύει: {count} συμβάντα, τελευταίο αποτύπωμα {written[-1].chain_hash}.\n"
    )
    # Each event is chained to the one before it, by the one function the verifier uses.
    chain = list(AuditEvent.objects.order_by("id"))
    for before, event in zip(chain, chain[1:], strict=False):
        assert event.chain_hash == audit_chain.event_hash(before.chain_hash, event.chain_content())


@pytest.mark.slow
def test_the_demo_trail_holds(db, settings):
    settings.DEBUG = True
    settings.DEMO_PASSWORD = "demo-pass-for-tests"
    call_command("load_demo", stdout=StringIO())
    count = AuditEvent.objects.count()
    assert count > 100
    status, printed = verify()
    assert status == 0 and f": {count} events," in printed


def test_json_is_hashed_as_stored_whatever_its_spelling(db, kalamata):
    # jsonb gives 1e+20 back as 100000000000000000000 and reorders keys; the chain must not care.
    audit.record(
        action="test.chain",
        obj=kalamata,
        before={"z": 1e20, "a": 0.1, "nested": {"b": [1.5, None, True], "a": "ά"}},
        after={"amount": "1234.50"},
    )
    assert verify()[0] == 0


def test_a_changed_event_is_named(db, kalamata):
    written = events(kalamata, 5)
    with as_owner() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET note = 'rewritten' WHERE id = %s", [written[2].pk])
    assert verify() == (
        1,
        f"The audit trail has been altered: event {written[2].pk} does not match its chain "
        f"({AuditEvent.objects.filter(pk__lt=written[2].pk).count()} events before it hold).\n",
    )


@pytest.mark.parametrize(
    "change",
    [
        'before = \'{"status": "draft"}\'::jsonb',
        "after = '{\"i\": 30}'::jsonb",
        "created_at = created_at + interval '1 second'",
        "actor_name = 'someone else'",
        "object_id = object_id || '9'",  # a value that cannot be the one written
        "content_type_id = NULL",
        "chain_hash = md5('x') || md5('y')",
    ],
)
def test_any_changed_column_is_noticed(db, kalamata, change):
    written = events(kalamata, 3)
    with as_owner() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {change} WHERE id = %s", [written[1].pk])
    status, printed = verify()
    assert status == 1 and f"event {written[1].pk} " in printed


def test_the_event_after_a_deleted_one_is_named(db, kalamata):
    written = events(kalamata, 5)
    with as_owner() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [written[2].pk])
    status, printed = verify()
    assert status == 1 and f"event {written[3].pk} " in printed


def test_deleting_the_first_events_is_noticed(db, kalamata):
    events(kalamata, 3)
    first = AuditEvent.objects.order_by("id")
    ids = list(first.values_list("id", flat=True))
    with as_owner() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [ids[0]])
    status, printed = verify()
    assert status == 1 and f"event {ids[1]} " in printed


def _content(kalamata, note):
    return audit.row(
        action="test.forged",
        channel="code",
        actor=None,
        created_at=timezone.now(),
        obj=kalamata,
        content_type_id=ContentType.objects.get_for_model(kalamata).pk,
        municipality_id=kalamata.pk,
        note=note,
    )


def _insert(cursor, pk, values, chain_hash):
    """An INSERT behind the application's back: no trigger refuses it, the chain is all that is left."""
    columns = ", ".join(("id", *audit.ROW_FIELDS, "chain_hash"))
    stored = (*values[:10], json.dumps(values[10]), json.dumps(values[11]), values[12])
    cursor.execute(
        f"INSERT INTO {TABLE} ({columns}) VALUES ({', '.join(['%s'] * (len(stored) + 2))})",
        [pk, *stored, chain_hash],
    )


def test_an_event_slipped_in_between_is_named_even_with_a_well_forged_hash(db, kalamata):
    first = events(kalamata, 2)
    # An id the sequence gave out and a rolled-back transaction left unused: room in the middle.
    with transaction.atomic():
        burnt = audit.record(action="test.chain", obj=kalamata).pk
        transaction.set_rollback(True)
    later = events(kalamata, 2, note="later")
    assert first[-1].pk < burnt < later[0].pk
    # The forger even chains the inserted event correctly onto the one before it…
    values = _content(kalamata, "never happened")
    with connection.cursor() as cursor:
        content = (*values[:10], values[10], values[11], values[12])
        _insert(cursor, burnt, values, audit_chain.event_hash(first[-1].chain_hash, content))
    # …so the next real event no longer follows its predecessor.
    status, printed = verify()
    assert status == 1 and f"event {later[0].pk} " in printed


def test_an_event_inserted_with_a_made_up_hash_is_named(db, kalamata):
    written = events(kalamata, 3)
    with connection.cursor() as cursor:
        _insert(cursor, written[-1].pk + 1000, _content(kalamata, "made up"), "f" * 64)
    status, printed = verify()
    assert status == 1 and f"event {written[-1].pk + 1000} " in printed


def test_the_import_chains_its_copied_events(registry):
    before = AuditEvent.objects.count()
    report = import_inclusions(SAMPLE.read_bytes(), fmt="text", programme=registry, source="sample.txt")
    assert report.ok and report.created == 10
    imported = list(AuditEvent.objects.filter(channel="import").order_by("id"))
    assert len(imported) == 10 and AuditEvent.objects.count() == before + 10
    # Chained in id order onto what was there, and a single event written afterwards chains onto them.
    audit.record(action="test.after_import", note="after")
    status, printed = verify()
    assert status == 0 and f": {before + 11} events," in printed
    previous = AuditEvent.objects.filter(pk__lt=imported[0].pk).order_by("-id").first()
    for event in imported:
        assert event.chain_hash == audit_chain.event_hash(previous.chain_hash, event.chain_content())
        previous = event
    # The import's rows are hashed exactly as the ORM would hash the same content.
    with as_owner() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET note = note || '.' WHERE id = %s", [imported[4].pk])
    assert f"event {imported[4].pk} " in verify()[1]


def test_the_bulk_writer_chains_on_every_database_path(db, kalamata):
    rows = [_content(kalamata, f"bulk {i}") for i in range(3)]
    audit.insert_rows(rows)
    AuditEvent.objects.bulk_create([AuditEvent(**dict(zip(audit.ROW_FIELDS, r, strict=True))) for r in rows])
    status, printed = verify()
    assert status == 0 and ": 6 events," in printed


def test_a_held_chain_reads_its_head_once_and_every_writer_extends_it(
    db, kalamata, django_assert_num_queries
):
    """held(): the simulation's one transaction without savepoints takes the chain once; the three
    writers (save, bulk_create, COPY) each tell it their last hash, so what follows chains onto them."""
    features = connection.features
    with pytest.raises(RuntimeError, match="savepoints"), audit_chain.held(connection):
        pass  # the test's transaction takes savepoints: a kept head could be rolled back
    rows = [_content(kalamata, f"held {i}") for i in range(2)]
    features.uses_savepoints = False
    try:
        with audit_chain.held(connection):
            audit.record(action="test.held", obj=kalamata, note="first")  # takes the chain: 3 queries
            with django_assert_num_queries(1):
                audit.record(action="test.held", obj=kalamata, note="second")
            audit.insert_rows(rows)
            AuditEvent.objects.bulk_create(
                [AuditEvent(**dict(zip(audit.ROW_FIELDS, r, strict=True))) for r in rows]
            )
            audit.record(action="test.held", obj=kalamata, note="last")
        assert not hasattr(connection, audit_chain._HELD)
    finally:
        features.uses_savepoints = True
    status, printed = verify()
    assert status == 0 and f": {AuditEvent.objects.count()} events," in printed


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(kalamata):
    """8 threads, each on its own connection, write 25 events each at once: single events, events
    two to a transaction and COPY batches; the chain holds and follows id order."""
    threads, per_thread = 8, 25
    barrier = threading.Barrier(threads)
    failures = []

    def work(i):
        try:
            barrier.wait()
            written = 0
            while written < per_thread:
                if i % 3 == 0:
                    audit.record(action="test.concurrent", obj=kalamata, after={"thread": i, "n": written})
                    written += 1
                elif i % 3 == 1:
                    with transaction.atomic():
                        for _ in range(min(2, per_thread - written)):
                            audit.record(action="test.concurrent", obj=kalamata, note=f"{i}/{written}")
                            written += 1
                else:
                    n = min(5, per_thread - written)
                    with transaction.atomic():
                        audit.insert_rows([_content(kalamata, f"{i}/{written + k}") for k in range(n)])
                    written += n
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    runners = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in runners:
        t.start()
    for t in runners:
        t.join(timeout=120)
    assert failures == []
    assert AuditEvent.objects.filter(action__in=["test.concurrent", "test.forged"]).count() == 200
    status, printed = verify()
    assert status == 0 and f": {AuditEvent.objects.count()} events," in printed


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_older_than_the_lock_is_refused(kalamata):
    with transaction.atomic(), pytest.raises(RuntimeError, match="READ COMMITTED"):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        audit.record(action="test.chain", obj=kalamata)
    assert not AuditEvent.objects.filter(action="test.chain").exists()


def test_verify_audit_speaks_the_site_language_by_default(db, kalamata):
    events(kalamata, 1)
    out = StringIO()
    with translation.override("en"):
        call_command("verify_audit", stdout=out)
    assert out.getvalue().startswith("Η αλυσίδα του ιστορικού ισχύει")


def test_the_event_page_shows_its_hash_read_only(client, officer, auditor, kalamata):
    event = events(kalamata, 1)[0]
    url = reverse("admin:grants_auditevent_change", args=[event.pk])
    for user in (officer, auditor):
        client.force_login(user)
        body = client.get(url).content.decode()
        assert f'<div class="readonly">{event.chain_hash}</div>' in body
        assert 'name="chain_hash"' not in body
    # Viewing is all: a POST changes nothing.
    client.post(url, {"chain_hash": "0" * 64})
    assert AuditEvent.objects.get(pk=event.pk).chain_hash == event.chain_hash


def test_deferred_rows_are_written_at_the_end_of_the_block_and_only_without_an_error(db, kalamata):
    with transaction.atomic():
        with audit.deferred_rows():
            audit.insert_rows([_content(kalamata, "first")])
            audit.insert_rows([_content(kalamata, "second")])
            assert not AuditEvent.objects.exists()
        assert list(AuditEvent.objects.order_by("id").values_list("note", flat=True)) == ["first", "second"]
    with pytest.raises(ZeroDivisionError), transaction.atomic(), audit.deferred_rows():
        audit.insert_rows([_content(kalamata, "lost")])
        1 / 0  # noqa: B018 - the error that must keep the rows out
    assert not AuditEvent.objects.filter(note="lost").exists()
    assert verify()[0] == 0


def test_values_hashed_without_the_round_trip_are_the_values_read_back():
    import enum

    from django.core.serializers.json import DjangoJSONEncoder

    from grants.models import ApplicationStatus

    class Level(enum.IntEnum):
        HIGH = 3

    flat = {"status": ApplicationStatus.INCLUDED, "n": Level.HIGH, "ok": True, "none": None, "s": "ά"}
    nested = {"x": [1.5, {"y": 1e20}], "d": {"status": ApplicationStatus.DRAFT}}
    for value in (flat, nested, {}):
        read_back = audit_chain.parse_json(json.dumps(value, cls=DjangoJSONEncoder))
        assert audit_chain._ENCODE(audit_chain.stored_json(value)) == audit_chain._ENCODE(read_back)

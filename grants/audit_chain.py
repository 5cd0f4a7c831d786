"""The audit trail's hash chain: the one definition of an event's canonical form and of its hash.

Each AuditEvent stores `chain_hash` = SHA-256(previous event's chain_hash ‖ canonical JSON of its own
content), the first event chaining onto GENESIS. Changing a stored event, deleting one or slipping one in
between breaks the chain from that event on, and `python manage.py verify_audit` names the first event
that no longer matches. The writers (AuditEvent.save, its queryset's bulk_create, grants.audit's COPY
writer), the migration that hashed older events and the verifier all call `event_hash` here.

Chain order is id order. On PostgreSQL a writer takes a transaction-level advisory lock before reading
the chain head and holds it until its transaction ends, and takes its ids from the sequence only while
holding it: every event of a later holder gets a higher id than every committed event before it, and
ids burnt by rolled-back transactions are gaps, not links. The head must be read in a statement started
after the lock was granted, which READ COMMITTED (Django's default) guarantees; a snapshot taken earlier
(REPEATABLE READ) would not see the previous holder's events, so writers refuse it.

Because the lock is held to the end of the writer's transaction, a transaction should take its row locks
before its first audit event (as the services do: lock, change, record): one that locks rows after
recording can deadlock with another that holds such a row and records, and PostgreSQL aborts one of them.
SQLite (the demo) serialises writers itself and needs no lock.
"""

import hashlib
import json
from contextlib import contextmanager
from datetime import UTC
from decimal import Decimal
from functools import lru_cache

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

GENESIS = "0" * 64
# Any constant bigint unused by other advisory locks of the database: "audit" in ASCII, nothing more.
LOCK_KEY = 0x6175646974

# The stored columns an event's hash covers, in the order writers hand them to event_hash (also the order
# of grants.audit.ROW_FIELDS), each with its key in the canonical JSON.
CONTENT = (
    ("created_at", "time"),
    ("actor_id", "actor"),
    ("actor_name", "actor_name"),
    ("channel", "channel"),
    ("action", "action"),
    ("content_type_id", "content_type"),
    ("object_id", "object_id"),
    ("object_repr", "object_repr"),
    ("municipality_id", "municipality"),
    ("application_id", "application"),
    ("before", "before"),
    ("after", "after"),
    ("note", "note"),
)
COLUMNS = tuple(column for column, _key in CONTENT)
_KEYS = tuple(key for _column, key in CONTENT)
# One encoder for every event: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def _number(text: str):
    """A JSON number with a fraction or exponent, as its value: PostgreSQL's jsonb stores numbers as
    numeric and gives 1e+20 back as 100000000000000000000, so an integral value is an int however it was
    spelt. Amounts are never numbers in the trail (grants.audit writes decimals as strings)."""
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(text)


def parse_json(text: str):
    """A stored `before` or `after`, read as text, as the value event_hash takes (jsonb reorders keys,
    drops spaces and respells numbers: only the value counts)."""
    return json.loads(text, parse_float=_number)


def stored_json(value):
    """What parse_json will read back once `value` (a `before` or `after` about to be written with
    Django's JSON encoder) is stored."""
    # Most events hold flat dictionaries of strings and integers, which store as they are: an import
    # writes 100,000 of them, and the round trip would cost a tenth of its time.
    # Strings and integers of subclasses (a status is a TextChoices member) encode as their plain value.
    if type(value) is dict and all(
        isinstance(k, str) and (isinstance(v, (str, int)) or v is None) for k, v in value.items()
    ):
        return value
    return parse_json(json.dumps(value, cls=DjangoJSONEncoder))


@lru_cache(maxsize=256)
def _utc(when) -> str:
    # Cached: a batch writes all its events with one time.
    if timezone.is_naive(when):
        # As Django stores a naive time: in the default time zone.
        when = timezone.make_aware(when, timezone.get_default_timezone())
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values) -> str:
    """The canonical form of an event's content: `values` in CONTENT's order as one JSON object with
    sorted keys and no spaces, the time in UTC to the microsecond, ids as numbers, `before` and `after`
    as the JSON values stored (stored_json or parse_json; decimals in them are strings already)."""
    content = dict(zip(_KEYS, values, strict=True))
    content["time"] = _utc(content["time"])
    return _ENCODE(content)


def event_hash(previous: str, values) -> str:
    """The chain hash of an event with content `values` (CONTENT's order) after an event whose chain
    hash is `previous` (GENESIS for the first)."""
    return hashlib.sha256((previous + canonical(values)).encode()).hexdigest()


# On a connection inside held(): table → the hash of the last event written in the transaction.
_HELD = "audit_chain_held"


@contextmanager
def held(connection):
    """Keep the chain's head in memory for the rest of a long all-or-nothing transaction: the chain is
    taken once, at the first event, and every later event costs its INSERT alone instead of a lock, a
    read of the head and the INSERT (the simulation writes six thousand events). Only where nothing
    written can be undone without failing the whole transaction, so savepoints must be off (the
    simulation's one transaction): a rolled-back savepoint would leave a head that is not in the table.
    Every writer tells the held head what it wrote (extended)."""
    if not connection.in_atomic_block or connection.features.uses_savepoints:
        raise RuntimeError("The audit chain is held only in a transaction without savepoints.")
    setattr(connection, _HELD, {})
    try:
        yield
    finally:
        delattr(connection, _HELD)


def lock_head(connection, table: str) -> str:
    """Take the chain (PostgreSQL: until the transaction ends) and return the last event's hash. Must be
    called inside a transaction, and before the events that follow it take ids."""
    if not connection.in_atomic_block:
        raise RuntimeError("The audit chain can only be extended inside a transaction.")
    heads = getattr(connection, _HELD, None)
    if heads is not None and table in heads:
        return heads[table]  # taken by this transaction already, and extended by no one else
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT current_setting('transaction_isolation'), pg_advisory_xact_lock(%s)", [LOCK_KEY]
            )
            if cursor.fetchone()[0] != "read committed":
                raise RuntimeError("The audit chain needs READ COMMITTED to see the head it waited for.")
        cursor.execute(f"SELECT chain_hash FROM {connection.ops.quote_name(table)} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
    head = row[0] if row else GENESIS
    if heads is not None:
        heads[table] = head
    return head


def extended(connection, table: str, head: str):
    """Tell a held chain (held()) the hash of the last event just written; nothing otherwise."""
    heads = getattr(connection, _HELD, None)
    if heads is not None:
        heads[table] = head

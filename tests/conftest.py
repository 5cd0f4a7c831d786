"""Shared fixtures: a small world (a programme, a few municipalities, one user per role) built
through the real ORM on PostgreSQL. Loading the full reference data is tested on its own."""

import copy
import inspect
import os
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from pytest_django.plugin import blocking_manager_key
from whitenoise.middleware import WhiteNoiseMiddleware

from grants import roles
from grants.models import (
    Municipality,
    MunicipalityAccount,
    Programme,
    Region,
    RegionalUnit,
    RegionCategory,
)
from projects.models import CatalogueProject, Category

# One migrated database for the whole run: under xdist the controller migrates a template once and
# each worker's test database is a copy of it (CREATE DATABASE … TEMPLATE, a fraction of a second),
# instead of every worker running every migration (5 s of CPU each, and PostgreSQL's DDL besides).
_TEMPLATE_ENV = "SC_TEST_TEMPLATE_DB"


# WhiteNoise reads every static file's metadata (STATIC_ROOT and, with WHITENOISE_USE_FINDERS, each
# app's files: ~350 of them) when its middleware is built, which production does once per process.
# Django's test Client builds the middleware chain once per Client, i.e. once or more per test: ~35 ms
# each, a quarter of the fast suite's time. What the scan finds depends only on the files and the
# settings below, so a run scans once per set of them; every request still goes through WhiteNoise.
_whitenoise_init = WhiteNoiseMiddleware.__init__
_whitenoise_built = {}


def _whitenoise_key(settings):
    own = sorted(name for name in dir(settings) if name.startswith("WHITENOISE_"))
    return (
        settings.DEBUG,
        str(settings.STATIC_ROOT),
        settings.STATIC_URL,
        settings.FORCE_SCRIPT_NAME,
        tuple(map(str, settings.STATICFILES_DIRS)),
        tuple(settings.INSTALLED_APPS),
        tuple((name, repr(getattr(settings, name))) for name in own),
    )


def _whitenoise_init_once(self, get_response=None, settings=django_settings):
    key = _whitenoise_key(settings)
    built = _whitenoise_built.get(key)
    if built is None:
        _whitenoise_init(self, get_response, settings)
        _whitenoise_built[key] = {k: v for k, v in vars(self).items() if k != "get_response"}
    else:
        vars(self).update(built)
        self.get_response = get_response


WhiteNoiseMiddleware.__init__ = _whitenoise_init_once


def _xdist_controller(config):
    return not hasattr(config, "workerinput") and (config.getoption("numprocesses", None) or 0) > 0


def _schema_digest():
    """What a migrated database depends on: every installed app's migrations, what they import from
    this project (grants.audit_chain's SQL, say), the settings they read (0024's summaries are
    computed in TIME_ZONE), and the Django and psycopg releases that apply them."""
    import hashlib
    import re
    from pathlib import Path

    import django
    import psycopg
    from django.apps import apps
    from django.conf import settings

    digest = hashlib.sha256(f"{django.__version__} {psycopg.__version__} {settings.TIME_ZONE}".encode())
    # Indented too: a RunPython function may import the SQL it runs.
    own_import = re.compile(rb"^[ \t]*(?:from|import) ((?:grants|projects)[\w.]*)(?: import (\w+))?", re.M)
    imported = set()
    for config in sorted(apps.get_app_configs(), key=lambda c: c.label):
        for path in sorted((Path(config.path) / "migrations").glob("*.py")):
            source = path.read_bytes()
            digest.update(path.name.encode() + b"\0" + source)
            for module, name in own_import.findall(source):
                imported.add(module.decode() + (f".{name.decode()}" if name else ""))
    for module in sorted(imported):
        origin = _module_origin(module)
        if origin:
            digest.update(module.encode() + b"\0" + Path(origin).read_bytes())
    return digest.hexdigest()[:12]


def _module_origin(dotted: str) -> str | None:
    """The file of a module, or of the module holding a name ("grants.models.programme.MONEY", from
    «from grants.models.programme import MONEY»): find_spec raises, not answers None, for a name
    in a module that is not a package."""
    import importlib.util

    while dotted:
        try:
            spec = importlib.util.find_spec(dotted)
        except ModuleNotFoundError:
            spec = None
        if spec is not None and spec.origin:
            return spec.origin
        dotted = dotted.rpartition(".")[0]
    return None


def pytest_sessionstart(session):
    """The controller's template: migrated once per set of migrations and kept between runs (named
    by their digest), so that a second run, the inner loop, starts its workers at once instead of
    after ~5 s of migrations. It is built under a temporary name and renamed when complete, so an
    interrupted build is never taken for a template; older templates of the same database are dropped."""
    from django.conf import settings
    from django.db import connection

    if not _xdist_controller(session.config) or connection.vendor != "postgresql":
        return
    base = settings.DATABASES["default"]
    name, test = base["NAME"], dict(base.get("TEST") or {})
    prefix = f"test_{name}_template_"
    template = prefix + _schema_digest()
    quote = connection.ops.quote_name
    with session.config.stash[blocking_manager_key].unblock():
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                [prefix.replace("_", r"\_") + "%"],
            )
            found = {row[0] for row in cursor.fetchall()}
            for stale in found - {template}:
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(stale)} WITH (FORCE)")
        if template not in found:
            building = f"{template}_{os.getpid()}"
            base["TEST"] = {**test, "NAME": building}
            try:
                connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            finally:
                connection.close()
                base["NAME"] = connection.settings_dict["NAME"] = name
                base["TEST"] = connection.settings_dict["TEST"] = test
            with connection._nodb_cursor() as cursor:
                try:
                    cursor.execute(f"ALTER DATABASE {quote(building)} RENAME TO {quote(template)}")
                except Exception:
                    # Another run built the same template meanwhile: take theirs.
                    cursor.execute(f"DROP DATABASE IF EXISTS {quote(building)} WITH (FORCE)")
            connection.close()
    # The workers start after this hook (xdist's own runs last) and inherit the environment.
    os.environ[_TEMPLATE_ENV] = template


def pytest_sessionfinish(session):
    if _xdist_controller(session.config):
        os.environ.pop(_TEMPLATE_ENV, None)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    from django.conf import settings

    template = os.environ.get(_TEMPLATE_ENV)
    if template:
        settings.DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = template


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # PBKDF2's deliberate slowness protects real passwords; in tests it only slows the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_joins_allowed():
    """Celery keeps "a task is running here, never wait for a result" in one process-wide flag, which
    an eager task sets and then restores to what it read. Two threads running eager tasks at once
    (tests/test_summary_concurrency.py) restore each other's value and leave it set, and every later
    test of that worker that waits for a task's result failed with "Never call result.get() within a
    task!". Each test starts as a process that runs no task."""
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def mfa_off(settings):
    # The suite runs with DEBUG off, where MFA_REQUIRED defaults to on; tests of staff pages sign in
    # with a password. tests/test_mfa.py turns it on for the second factor's own tests.
    settings.MFA_REQUIRED = False


def make_region():
    return Region.objects.create(code="EL65", name="ΠΕΛΟΠΟΝΝΗΣΟΥ", category=RegionCategory.LESS_DEVELOPED)


def make_regional_unit(region):
    return RegionalUnit.objects.create(code="44", name="Μεσσηνίας", region=region)


def make_programme():
    return Programme.objects.create(
        code="SMART-CITIES",
        title="Έξυπνες Πόλεις",
        managing_authority="ΕΥΔ Ψηφιακός Μετασχηματισμός",
        total_budget=Decimal("235285163.00"),
        min_projects=1,
        max_projects=20,
    )


@pytest.fixture
def region(db):
    return make_region()


@pytest.fixture
def regional_unit(region):
    return make_regional_unit(region)


@pytest.fixture
def programme(db):
    return make_programme()


def make_municipality(regional_unit, code, name, pop2011, pop2021=None, eligible=True):
    return Municipality.objects.create(
        elstat_code=code,
        name=name,
        regional_unit=regional_unit,
        population_2011=pop2011,
        population_2021=pop2021 or pop2011,
        eligible=eligible,
        contact_emails=f"info{code}@example.gr",
    )


def make_kalamata(regional_unit):
    return make_municipality(regional_unit, "4401", "ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", 69849, 71894)


def make_pyli(regional_unit):
    return make_municipality(regional_unit, "2603", "ΔΗΜΟΣ ΠΥΛΗΣ", 14343, 12915)


def make_category():
    return Category.objects.create(order=1, title_el="Βιώσιμη Μετακίνηση", title_en="Mobility")


def make_catalogue(category):
    return [
        CatalogueProject.objects.create(
            code=f"T{i:02d}", title_el=f"Έργο {i}", title_en=f"Project {i}", category=category
        )
        for i in range(1, 13)
    ]


@pytest.fixture
def kalamata(regional_unit):
    return make_kalamata(regional_unit)


@pytest.fixture
def pyli(regional_unit):
    return make_pyli(regional_unit)


@pytest.fixture
def category(db):
    return make_category()


@pytest.fixture
def catalogue(category):
    return make_catalogue(category)


# Every test account's password: the API, portal and account tests log in with it.
PASSWORD = "pw-secret-123"


def _user(username, *groups, **extra):
    user = User.objects.create_user(username, f"{username}@example.gr", PASSWORD, **extra)
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


# The staff accounts the fixtures below make: (username, groups).
STAFF = {
    "officer": (roles.OFFICERS,),
    "officer2": (roles.OFFICERS,),
    "approver": (roles.APPROVERS,),
    "auditor": (roles.AUDITORS,),
    "both": (roles.OFFICERS, roles.APPROVERS),
}


def make_staff(username):
    return _user(username, *STAFF[username], is_staff=True)


def make_municipality_user(username, municipality):
    user = _user(username, roles.MUNICIPALITIES)
    MunicipalityAccount.objects.create(user=user, municipality=municipality)
    return user


@pytest.fixture
def officer(db):
    return make_staff("officer")


@pytest.fixture
def officer2(db):
    return make_staff("officer2")


@pytest.fixture
def approver(db):
    return make_staff("approver")


@pytest.fixture
def auditor(db):
    return make_staff("auditor")


@pytest.fixture
def officer_approver(db):
    """One person holding both roles: may propose and may include, never both on one application."""
    return make_staff("both")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.gr", PASSWORD)


@pytest.fixture
def kalamata_user(kalamata):
    return make_municipality_user("kalamata", kalamata)


@pytest.fixture
def pyli_user(pyli):
    return make_municipality_user("pyli", pyli)


# --- data built once for a module --------------------------------------------------------------------
# Most of a small test's time went on building its world (a programme, municipalities, accounts, an
# application walked through the workflow, each step audited): the same rows for every test of a file.
# A module that asks for `module_db` builds them once, inside a transaction that stays open for the
# module and is rolled back at its end; pytest-django's `db` then runs each test in a savepoint within
# it, so what a test writes is gone before the next one starts, as before. Each test gets its own
# copies of the built instances (`per_test`), so what one test changes in memory the next never sees.
# A transactional test (`transactional_db`, `live_server`) must not run in such a module.


@pytest.fixture(scope="module")
def module_db(request, django_db_setup, django_db_blocker):
    from django.db import transaction
    from django.test.utils import override_settings

    # `registry` takes its rows in the empty database: take them before this module's rows exist.
    module_items = [item for item in request.session.items if item.module is request.module]
    if any("registry" in item.fixturenames for item in module_items):
        request.getfixturevalue("_reference_rows")
    # The function-scoped fixtures above (fast hasher, MFA off) are not active yet when a
    # module-scoped fixture builds: the same settings for the module's whole life.
    settings = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MFA_REQUIRED=False
    )
    settings.enable()
    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
    try:
        # The module's fixture builds its rows `with module_db.unblock():`; its tests ask for `db` as usual.
        yield django_db_blocker
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
        settings.disable()


def per_test(name, source, key=None):
    """A test's own copy of `source`'s (a module-scoped fixture's) entry `key` (its name by default), as
    built: the rows are as built again at each test's start, since each test's writes are rolled back.
    `source` is a dict; a copy shares nothing with the next test's copy."""

    def fixture(**fixtures):
        return copy.deepcopy(fixtures[source][key or name])

    # Named in the signature, not looked up while the test runs: pytest then sets the module's
    # fixture up before `db` opens the test's savepoint, not inside it (where the test's rollback
    # would take the module's rows with it).
    fixture.__signature__ = inspect.Signature(
        [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in (source, "db")]
    )
    return pytest.fixture(name=name)(fixture)


@pytest.fixture(scope="session", autouse=True)
def _static_files_listed_once():
    """Each test's client loads the middleware afresh, and WhiteNoise's then lists every static file
    through the finders (a stat, a content type and a look for compressed variants of each): about
    60 ms, which every test that makes a request paid, six times over in the API's permission matrix.
    The files do not change during a run, so the first listing serves every later client that has
    the same settings; a test that changes them (DEBUG's max-age, STATIC_URL) gets a listing of its
    own. The responses are still WhiteNoise's own, built from the real files."""
    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    list_files = WhiteNoiseMiddleware.add_files_from_finders
    listings = {}

    def add_files_from_finders(self):
        key = (
            self.static_prefix,
            self.max_age,
            self.allow_all_origins,
            self.charset,
            self.add_headers_function,
            self.index_file,
            repr(getattr(settings, "WHITENOISE_MIMETYPES", None)),
            tuple(settings.STATICFILES_FINDERS),
            tuple(map(str, settings.STATICFILES_DIRS)),
            tuple(settings.INSTALLED_APPS),
        )
        if key not in listings:
            own, self.files = self.files, {}
            list_files(self)
            listings[key], self.files = self.files, own
        self.files.update(listings[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders
    yield
    WhiteNoiseMiddleware.add_files_from_finders = list_files


@pytest.fixture(scope="session", autouse=True)
def _flush_only_the_filled_tables():
    """A transactional test (transactional_db, live_server) ends with Django's flush: one TRUNCATE of
    every table, which gives each of them and its indexes new files (~1 s on two busy cores), where a
    test fills a few. The filled tables are found in one query and emptied with DELETE instead, with
    the row triggers off as TRUNCATE has them (the audit trail's append-only guard, the summaries'
    upkeep; foreign keys are emptied on both sides). The one TRUNCATE trigger, the registry's version
    (grants/migrations/0021), is moved on as the TRUNCATE would have. Sequences are left as Django's
    flush leaves them unless a test asks for them reset, which keeps Django's own flush."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences:
            return flush(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        quote = self.quote_name
        probe = " UNION ALL ".join(
            f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})" for table in tables
        )
        with self.connection.cursor() as cursor:
            cursor.execute(probe, list(tables))
            filled = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT to_regclass('grants_registryversion') IS NOT NULL")
            versioned = cursor.fetchone()[0]
        if not filled:
            return []
        sql = ["SET LOCAL session_replication_role = replica;"]
        sql += [f"DELETE FROM {quote(table)};" for table in filled]
        sql.append("SET LOCAL session_replication_role = DEFAULT;")
        registry = {"grants_municipality", "grants_regionalunit", "grants_region"}
        if versioned and registry & set(filled):
            sql.append(
                "UPDATE grants_registryversion SET version = nextval('grants_registry_version_seq') "
                "WHERE id = 1;"
            )
        return sql

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = flush


@pytest.fixture(scope="session", autouse=True)
def _end_leftover_sessions(django_db_setup, django_db_blocker):
    """A thread of the live server may still hold a connection on a kept-alive socket when the run
    ends, and PostgreSQL refuses to drop a database that is in use: end such sessions first."""
    yield
    from django.db import OperationalError, connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            try:
                cursor = connection.cursor()
            except OperationalError:
                # A run of tests that need no database made none (pytest-django creates it only
                # for a test that asks): there is no session to end.
                return
            with cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


def _content_types_fingerprint(cursor):
    cursor.execute(
        "SELECT coalesce(string_agg(id || app_label || model, ',' ORDER BY id), '') FROM django_content_type"
    )
    return cursor.fetchone()[0]


def _capture_reference_rows(models=None):
    """The reference data loaded, kept as the rows of every table it filled (COPY's text form), then
    rolled back, with the content types they point at (the audit trail's foreign keys). Without
    `models`, in the empty database at the start of a run; with them, inside a test's transaction,
    on those tables emptied for the moment."""
    from django.apps import apps
    from django.db import connection, transaction

    from grants.reference import load_reference_data

    with transaction.atomic(), connection.cursor() as cursor:
        if models is None:
            models = [m for m in apps.get_models() if m._meta.managed and not m._meta.proxy]
            models = [m for m in models if not m._default_manager.exists()]
        else:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
            cursor.execute(f"TRUNCATE {tables} CASCADE")
        load_reference_data()
        fingerprint = _content_types_fingerprint(cursor)
        rows = []
        for model in models:
            if not model._default_manager.exists():
                continue
            table = connection.ops.quote_name(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} TO STDOUT") as copy:
                rows.append((model, b"".join(bytes(chunk) for chunk in copy)))
        transaction.set_rollback(True)
    return {"fingerprint": fingerprint, "rows": rows}


@pytest.fixture(scope="session")
def _reference_rows(django_db_setup, django_db_blocker):
    """The reference data loaded once for the run (per xdist worker) in the empty database: `registry`
    copies its rows into each test's transaction in a few milliseconds instead of reading, checking and
    loading the files each time. A transactional test's flush recreates the content types the rows
    point at under new ids (under xdist such tests are not all run last, as in a serial run), so
    `registry` takes the rows again when they have changed."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with django_db_blocker.unblock():
        return _capture_reference_rows()


@pytest.fixture
def registry(db, _reference_rows):
    """The real reference data (332 municipalities, the programme, the catalogue) and its programme."""
    from django.db import connection

    from grants.reference import load_reference_data

    if _reference_rows is None:
        load_reference_data()
        return Programme.objects.get(code="SMART-CITIES")
    with connection.cursor() as cursor:
        if _reference_rows["fingerprint"] != _content_types_fingerprint(cursor):
            models = [model for model, _data in _reference_rows["rows"]]
            _reference_rows.update(_capture_reference_rows(models))
        # Foreign keys are checked at commit (deferred), so the tables' order does not matter.
        for model, data in _reference_rows["rows"]:
            table = connection.ops.quote_name(model._meta.db_table)
            with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(data)
        for model, _data in _reference_rows["rows"]:
            pk = model._meta.pk
            if pk.get_internal_type() in ("AutoField", "BigAutoField"):
                column, table = (connection.ops.quote_name(n) for n in (pk.column, model._meta.db_table))
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence(%s, %s), (SELECT max({column}) FROM {table}))",
                    [model._meta.db_table, pk.column],
                )
    return Programme.objects.get(code="SMART-CITIES")


def private_storages(root):
    """STORAGES with the private files under `root`."""
    from django.conf import settings

    return {
        **settings.STORAGES,
        "private": {"BACKEND": "grants.storage.PrivateFileSystemStorage", "OPTIONS": {"location": root}},
    }


@pytest.fixture(scope="module")
def module_private_root(tmp_path_factory):
    """private_root for the files of rows built once for a module (module_db)."""
    from django.test.utils import override_settings

    root = tmp_path_factory.mktemp("private")
    with override_settings(STORAGES=private_storages(root)):
        yield root


@pytest.fixture
def private_root(settings, tmp_path):
    """Export files in a directory of the test's own, never in the checkout's private/."""
    root = tmp_path / "private"
    settings.STORAGES = private_storages(root)
    return root


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters (password resets, API throttles) live in the cache, which outlives a
    # test's database transaction: each test starts with none.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def document_types(programme):
    """The seeded kinds of «Έξυπνες Πόλεις» (grants.reference.DOCUMENT_TYPES) for the test programme."""
    return make_document_types(programme)


def make_document_types(programme):
    from grants.models import DocumentType
    from grants.reference import DOCUMENT_TYPES

    return {row["code"]: DocumentType.objects.create(programme=programme, **row) for row in DOCUMENT_TYPES}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Whole files in the order the workers take them (make test passes --no-loadscope-reorder, so
    xdist keeps this order): first the files with a long test (browser, slow), then the others, the
    files with the most tests first within each group. xdist's own order (most tests first) left the
    browser files and bin/serve, one to seven tests each, for last, where a 60-160 s file set the wall
    time while the other workers had finished. After pytest-django's ordering; the sort is stable."""
    counts, long_files = {}, set()
    for item in items:
        counts[item.path] = counts.get(item.path, 0) + 1
        if item.get_closest_marker("slow") or item.get_closest_marker("browser"):
            long_files.add(item.path)
    items.sort(key=lambda item: (item.path not in long_files, -counts[item.path]))


# -- Chromium for the browser tests (marker `browser`) ------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class _SharedChromium:
    """Starting playwright and Chromium took ~2.7 s a test on two busy cores (a third of a short browser
    test): one Chromium serves a run of consecutive browser tests, each in a context of its own (its own
    cookies, storage and cache, as a fresh browser has). It is stopped before any other kind of test:
    playwright's sync API keeps an asyncio loop marked as running in the thread between its calls,
    which the other tests must not inherit."""

    playwright = browser = None

    def get(self):
        if self.browser is not None and not self.browser.is_connected():
            self.stop()  # Chromium died (a crash in an earlier test): start a new one
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self.playwright = sync_playwright().start()
            try:
                self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            except BaseException:
                self.stop()
                raise
        return self.browser

    def stop(self):
        browser, playwright = self.browser, self.playwright
        self.browser = self.playwright = None
        try:
            if browser is not None and browser.is_connected():
                browser.close()
        finally:
            if playwright is not None:
                playwright.stop()


_shared_chromium = _SharedChromium()


@pytest.fixture(scope="session")
def _chromium_holder():
    # Stopped at the latest with the session's fixtures, before the test database is dropped (a run
    # cut short by -x never reaches a test of another kind).
    yield _shared_chromium
    _shared_chromium.stop()


@pytest.fixture
def chromium(_chromium_holder):
    """The shared Chromium (playwright's Browser); open a context of your own and close it."""
    return _chromium_holder.get()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.get_closest_marker("browser") is None:
            _shared_chromium.stop()

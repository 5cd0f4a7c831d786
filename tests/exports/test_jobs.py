"""Export jobs through the web: the threshold, the page that says the file is being prepared,
«My exports», the owner-only download, the audit, failures and expiry."""

import csv
import datetime
import hashlib
import io

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from grants import tasks
from grants.exports import services
from grants.models import AuditEvent, Channel, ExportJob, ExportState
from grants.reports.definitions import OperationsReport

CSV_URL = "/reports/operations.csv"


def _rows(content: bytes):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _job(owner, report="operations", fmt="csv", filters=None, build=True):
    job = services.export_job_create(
        owner=owner, report=report, fmt=fmt, filters=filters or {}, channel=Channel.ADMIN
    )
    if build:
        services.export_job_build(job_id=job.pk)
    return ExportJob.objects.get(pk=job.pk)


def test_below_the_threshold_the_download_is_built_in_the_request(
    client, auditor, two_applications, settings, private_root
):
    settings.EXPORT_JOB_ROWS = 2
    client.force_login(auditor)
    response = client.get(CSV_URL)
    assert response.status_code == 200
    assert len(_rows(b"".join(response.streaming_content))) == 3  # heading + 2
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("limit", [0, 1])
def test_above_the_threshold_the_worker_builds_it(
    client, auditor, two_applications, settings, private_root, django_capture_on_commit_callbacks, limit
):
    settings.EXPORT_JOB_ROWS = limit
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(CSV_URL, {"status": "draft"})
    assert response.status_code == 202
    page = response.content.decode()
    assert reverse("exports:list") in page and "Οι εξαγωγές μου" in page
    job = ExportJob.objects.get()
    assert (job.owner, job.report, job.format) == (auditor, "operations", "csv")
    assert job.filters == {"status": ["draft"]}
    assert job.state == ExportState.DONE and job.row_count == 2
    stored = (private_root / job.file).read_bytes()
    assert job.size == len(stored) and job.sha256 == hashlib.sha256(stored).hexdigest()
    assert {r[1] for r in _rows(stored)[1:]} == {"ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ", "ΔΗΜΟΣ ΠΥΛΗΣ"}
    # Recorded like any export, with the job it came from.
    event = AuditEvent.objects.get(action="report.export")
    assert event.actor == auditor and event.after["job"] == job.pk and event.after["rows"] == 2
    assert event.after["filters"] == {"status": ["draft"]}


def test_the_file_is_the_one_the_request_would_have_built(
    client, auditor, two_applications, settings, private_root
):
    client.force_login(auditor)
    settings.EXPORT_JOB_ROWS = 1000
    direct = b"".join(client.get(CSV_URL).streaming_content)
    job = _job(auditor)
    assert (private_root / job.file).read_bytes() == direct


def test_the_job_is_built_in_the_language_it_was_asked_in(auditor, two_applications, private_root):
    from django.utils import translation

    with translation.override("en"):
        job = services.export_job_create(
            owner=auditor, report="operations", fmt="csv", filters={}, channel=Channel.ADMIN
        )
    services.export_job_build(job_id=job.pk)
    job.refresh_from_db()
    assert _rows((private_root / job.file).read_bytes())[0][1] == "Beneficiary"


def test_my_exports_lists_only_my_jobs_and_refreshes_while_one_is_pending(
    client, auditor, officer, two_applications, private_root
):
    mine = _job(auditor)
    pending = _job(auditor, fmt="xlsx", build=False)
    _job(officer)
    client.force_login(auditor)
    page = client.get(reverse("exports:list")).content.decode()
    assert page.count(reverse("exports:download", args=[mine.pk])) == 1
    assert 'http-equiv="refresh"' in page
    assert "XLSX" in page and "Αναμονή" in page  # the pending one, in Greek
    others = ExportJob.objects.exclude(owner=auditor).get()
    assert reverse("exports:download", args=[others.pk]) not in page
    pending.state = ExportState.FAILED
    pending.save()
    assert 'http-equiv="refresh"' not in client.get(reverse("exports:list")).content.decode()


def test_my_exports_in_the_portal_for_a_municipality(client, kalamata_user, two_applications, private_root):
    job = _job(kalamata_user)
    client.force_login(kalamata_user)
    page = client.get(reverse("exports:list")).content.decode()
    assert "portal.css" in page and reverse("exports:download", args=[job.pk]) in page
    assert reverse("exports:list") in client.get(reverse("portal:home")).content.decode()


def test_my_exports_is_linked_from_the_reports_and_the_admin(client, auditor, officer):
    client.force_login(auditor)
    assert reverse("exports:list") in client.get(reverse("reports:dashboard")).content.decode()
    client.force_login(officer)
    assert reverse("exports:list") in client.get("/admin/").content.decode()


def test_only_the_owner_downloads_and_the_download_is_audited(
    client, auditor, officer, approver, kalamata_user, pyli_user, nobody, two_applications, private_root
):
    job = _job(auditor)
    url = reverse("exports:download", args=[job.pk])
    for other in (officer, approver, kalamata_user, pyli_user):
        client.force_login(other)
        assert client.get(url).status_code == 404
    client.force_login(nobody)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert not AuditEvent.objects.filter(action="report.export_download").exists()

    client.force_login(auditor)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == (private_root / job.file).read_bytes()
    assert job.filename in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="report.export_download")
    assert event.actor == auditor and event.after["job"] == job.pk and event.after["sha256"] == job.sha256


def test_a_municipalitys_job_holds_only_its_own_rows(kalamata_user, two_applications, private_root):
    job = _job(kalamata_user)
    assert [r[1] for r in _rows((private_root / job.file).read_bytes())[1:]] == ["ΔΗΜΟΣ ΚΑΛΑΜΑΤΑΣ"]
    # Filtering for another municipality finds nothing rather than widening the scope.
    job = _job(kalamata_user, filters={"municipality": "2603"})
    assert job.row_count == 0


def test_the_job_runs_in_the_owners_scope_as_it_is_when_built(kalamata_user, two_applications, private_root):
    job = _job(kalamata_user, build=False)
    kalamata_user.is_active = False
    kalamata_user.save()
    services.export_job_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ExportState.FAILED and not job.file


def test_a_failing_build_marks_the_job_failed(auditor, two_applications, private_root, monkeypatch):
    def broken(self, qs, **kwargs):
        raise ValueError("broken report")

    monkeypatch.setattr(OperationsReport, "rows", broken)
    monkeypatch.setattr(OperationsReport, "csv_stream", lambda self, qs: None)
    job = _job(auditor, build=False)
    tasks.build_export.delay(job.pk)
    job.refresh_from_db()
    assert job.state == ExportState.FAILED and job.error and not job.file
    assert not AuditEvent.objects.filter(action="report.export").exists()
    assert not list(private_root.rglob("*.csv"))


def test_a_transient_error_is_retried(
    auditor, two_applications, private_root, monkeypatch, celery_retries_in_process
):
    real, calls = services.export_job_build, []

    def flaky(*, job_id):
        calls.append(job_id)
        if len(calls) < 3:
            raise OperationalError("the database went away")
        return real(job_id=job_id)

    monkeypatch.setattr(services, "export_job_build", flaky)
    job = _job(auditor, build=False)
    tasks.build_export.delay(job.pk)
    job.refresh_from_db()
    assert len(calls) == 3 and job.state == ExportState.DONE


def test_a_lasting_transient_error_fails_the_job_after_the_retries(
    auditor, two_applications, private_root, monkeypatch, celery_retries_in_process
):
    calls = []

    def down(*, job_id):
        calls.append(job_id)
        raise OperationalError("the database went away")

    monkeypatch.setattr(services, "export_job_build", down)
    job = _job(auditor, build=False)
    tasks.build_export.delay(job.pk)
    job.refresh_from_db()
    assert len(calls) == tasks.RETRIES + 1
    assert job.state == ExportState.FAILED and "try again later" in job.error or "αργότερα" in job.error


def test_a_job_is_built_once(auditor, two_applications, private_root):
    job = _job(auditor)
    assert services.export_job_build(job_id=job.pk) is None  # delivered again: nothing to do
    assert AuditEvent.objects.filter(action="report.export").count() == 1
    assert len(list(private_root.rglob("*.csv"))) == 1


def test_expiry_deletes_the_file_and_the_job_and_records_it(
    auditor, two_applications, private_root, django_capture_on_commit_callbacks
):
    old, fresh = _job(auditor), _job(auditor, fmt="json")
    ExportJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert (private_root / old.file).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_exports.delay().get() == 1
    assert list(ExportJob.objects.all()) == [fresh]
    assert not (private_root / old.file).exists() and (private_root / fresh.file).exists()
    event = AuditEvent.objects.get(action="report.export_expire")
    assert event.actor is None and event.actor_name == "system" and event.object_id == str(old.pk)
    assert event.before["owner"] == "auditor"


def test_a_finished_job_expires_seven_days_after_it_finished(auditor, two_applications, private_root):
    job = _job(auditor)
    assert job.expires_at - job.finished_at == datetime.timedelta(days=7)


def test_an_expired_job_is_neither_listed_nor_downloaded(client, auditor, two_applications, private_root):
    job = _job(auditor)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now())
    client.force_login(auditor)
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


def test_the_expiry_runs_daily_on_beat(settings):
    from celery.schedules import crontab

    entry = settings.CELERY_BEAT_SCHEDULE["expire-exports"]
    assert entry["task"] == tasks.expire_exports.name
    assert entry["schedule"] == crontab(hour=3, minute=30)  # once a day


def test_private_files_have_no_public_url(private_root):
    with pytest.raises(NotImplementedError):
        services.private_storage().url("exports/1/1/x.csv")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        ("kalamata_user", 200),
        ("pyli_user", 200),
        ("officer", 200),
        ("approver", 200),
        ("auditor", 200),
        ("nobody", 403),
    ],
)
def test_who_opens_my_exports(client, request, role, expected):
    if role:
        client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("exports:list")).status_code == expected


def test_my_exports_is_read_only(client, auditor):
    client.force_login(auditor)
    assert client.post(reverse("exports:list")).status_code == 405


def test_asking_again_while_it_is_prepared_asks_for_nothing_new(auditor, two_applications, private_root):
    first = _job(auditor, filters={"status": "draft"}, build=False)
    assert _job(auditor, filters={"status": ["draft"]}, build=False) == first
    assert _job(auditor, filters={"status": ["submitted"]}, build=False) != first
    services.export_job_build(job_id=first.pk)
    assert _job(auditor, filters={"status": ["draft"]}, build=False) != first  # done: a new file


def test_the_failure_is_said_in_the_language_of_the_request(auditor, two_applications, private_root):
    from django.utils import translation

    with translation.override("en"):
        job = services.export_job_create(
            owner=auditor, report="operations", fmt="csv", filters={}, channel=Channel.API
        )
    auditor.groups.clear()
    services.export_job_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ExportState.FAILED and job.error == "You may no longer export this report."


def test_without_a_broker_a_transient_error_fails_the_job_at_once(
    auditor, two_applications, private_root, monkeypatch
):
    def down(*, job_id):
        raise OperationalError("the database went away")

    monkeypatch.setattr(services, "export_job_build", down)
    job = _job(auditor, build=False)
    tasks.build_export.delay(job.pk)  # nothing raised into the request that asked for it
    job.refresh_from_db()
    assert job.state == ExportState.FAILED

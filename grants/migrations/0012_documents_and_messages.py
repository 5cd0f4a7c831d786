"""Documents per programme and application, and the clarifications thread (grants.models.documents);
the programme's default response time and the application's response deadline of a return.

A message and its attachments are never edited or deleted once sent: as for the audit trail
(0002), PostgreSQL itself refuses UPDATE and DELETE of their rows."""

import django.db.models.deletion
import django.utils.timezone
import grants.models.documents
from django.conf import settings
from django.db import migrations, models


APPEND_ONLY = ("grants_message", "grants_messageattachment")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION grants_message_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql;
        """,
        params=None,
    )
    for table in APPEND_ONLY:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION grants_message_append_only();",
            params=None,
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in APPEND_ONLY:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};", params=None)
    schema_editor.execute("DROP FUNCTION IF EXISTS grants_message_append_only();", params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0011_delivery_records"),
        ("projects", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="response_due",
            field=models.DateField(blank=True, null=True, verbose_name="response deadline"),
        ),
        migrations.AddField(
            model_name="programme",
            name="response_days",
            field=models.PositiveSmallIntegerField(
                default=15,
                help_text="The default response deadline of a return for corrections, in days from the return.",
                verbose_name="days to answer a return",
            ),
        ),
        migrations.CreateModel(
            name="DocumentType",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.SlugField(
                        help_text="Stable: the API names the type by it.", max_length=40, verbose_name="code"
                    ),
                ),
                ("title_el", models.CharField(max_length=200, verbose_name="title (Greek)")),
                ("title_en", models.CharField(max_length=200, verbose_name="title (English)")),
                (
                    "required",
                    models.BooleanField(
                        default=False,
                        help_text="An application cannot be submitted without it (for each selected project, by scope).",
                        verbose_name="required for submission",
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[("application", "the application"), ("project", "each selected project")],
                        default="application",
                        max_length=12,
                        verbose_name="attached to",
                    ),
                ),
                (
                    "formats",
                    models.JSONField(
                        default=grants.models.documents.default_formats, verbose_name="allowed formats"
                    ),
                ),
                (
                    "max_size",
                    models.PositiveIntegerField(
                        default=20971520,
                        help_text="20 MB is 20971520 bytes.",
                        verbose_name="maximum size (bytes)",
                    ),
                ),
                ("order", models.PositiveSmallIntegerField(default=0, verbose_name="order")),
                (
                    "official",
                    models.BooleanField(
                        default=False,
                        help_text="Otherwise an illustrative default, to be confirmed against the call.",
                        verbose_name="confirmed against the call",
                    ),
                ),
                (
                    "programme",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="document_types",
                        to="grants.programme",
                        verbose_name="programme",
                    ),
                ),
            ],
            options={
                "verbose_name": "document type",
                "verbose_name_plural": "document types",
                "ordering": ["programme", "order", "code"],
            },
        ),
        migrations.CreateModel(
            name="Document",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("file", models.CharField(max_length=300, verbose_name="stored file")),
                ("filename", models.CharField(max_length=255, verbose_name="file name")),
                (
                    "format",
                    models.CharField(
                        choices=[
                            ("pdf", "PDF"),
                            ("xlsx", "XLSX"),
                            ("docx", "DOCX"),
                            ("odt", "ODT"),
                            ("jpeg", "JPEG"),
                            ("png", "PNG"),
                        ],
                        max_length=8,
                        verbose_name="format",
                    ),
                ),
                ("size", models.PositiveBigIntegerField(verbose_name="size (bytes)")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("uploaded_by_name", models.CharField(max_length=150, verbose_name="uploaded by")),
                (
                    "uploaded_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="uploaded at"),
                ),
                (
                    "application",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="documents",
                        to="grants.application",
                        verbose_name="application",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="projects.catalogueproject",
                        verbose_name="project",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="uploaded by",
                    ),
                ),
                (
                    "document_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="documents",
                        to="grants.documenttype",
                        verbose_name="document type",
                    ),
                ),
            ],
            options={
                "verbose_name": "document",
                "verbose_name_plural": "documents",
                "ordering": [
                    "application",
                    "document_type__order",
                    "document_type__code",
                    "uploaded_at",
                    "id",
                ],
            },
        ),
        migrations.CreateModel(
            name="Message",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "side",
                    models.CharField(
                        choices=[("municipality", "Municipality"), ("authority", "Managing authority")],
                        max_length=12,
                        verbose_name="from",
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("message", "Message"), ("return", "Returned for corrections")],
                        default="message",
                        max_length=8,
                        verbose_name="kind",
                    ),
                ),
                ("author_name", models.CharField(max_length=150, verbose_name="author")),
                ("body", models.TextField(max_length=5000, verbose_name="message")),
                (
                    "requested_items",
                    models.JSONField(blank=True, default=list, verbose_name="requested items"),
                ),
                ("response_due", models.DateField(blank=True, null=True, verbose_name="response deadline")),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="sent at"),
                ),
                (
                    "application",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="grants.application",
                        verbose_name="application",
                    ),
                ),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="author",
                    ),
                ),
            ],
            options={
                "verbose_name": "message",
                "verbose_name_plural": "messages",
                "ordering": ["application", "created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="MessageAttachment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("file", models.CharField(max_length=300, verbose_name="stored file")),
                ("filename", models.CharField(max_length=255, verbose_name="file name")),
                (
                    "format",
                    models.CharField(
                        choices=[
                            ("pdf", "PDF"),
                            ("xlsx", "XLSX"),
                            ("docx", "DOCX"),
                            ("odt", "ODT"),
                            ("jpeg", "JPEG"),
                            ("png", "PNG"),
                        ],
                        max_length=8,
                        verbose_name="format",
                    ),
                ),
                ("size", models.PositiveBigIntegerField(verbose_name="size (bytes)")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attachments",
                        to="grants.message",
                        verbose_name="message",
                    ),
                ),
            ],
            options={
                "verbose_name": "attachment",
                "verbose_name_plural": "attachments",
                "ordering": ["message", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="documenttype",
            constraint=models.UniqueConstraint(
                fields=("programme", "code"), name="document_type_code_once_per_programme"
            ),
        ),
        migrations.AddConstraint(
            model_name="documenttype",
            constraint=models.CheckConstraint(
                condition=models.Q(("max_size__gt", 0)), name="document_type_max_size_gt_0"
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(fields=["application", "document_type"], name="grants_document_app_type_idx"),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(fields=["application", "created_at"], name="grants_message_app_time_idx"),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=models.Q(("side__in", ["municipality", "authority"])), name="grants_message_side"
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["message", "return"])), name="grants_message_kind"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]

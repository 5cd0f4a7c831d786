from django.core.management.base import BaseCommand

from grants.reference import load_reference_data


class Command(BaseCommand):
    help = (
        "Load the regions, regional units, municipalities (2021 census), the Smart Cities programme and "
        "the 38-entry catalogue. Idempotent; a malformed file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir", help="Folder with the census and category files (default: grants/data)."
        )
        parser.add_argument("--catalogue", help="Catalogue CSV (default: projects/data/catalogue.csv).")

    def handle(self, *args, data_dir=None, catalogue=None, **options):
        # ReferenceDataError is a CommandError: Django prints it and exits non-zero.
        report = load_reference_data(data_dir=data_dir, catalogue_path=catalogue)
        for line in report.lines():
            self.stdout.write(line)
        if not report.changed_anything:
            self.stdout.write("Reference data already up to date.")

"""What an operator copies from deploy/ works together: under the units' ProtectSystem=strict the
service user may write only its StateDirectory (/var/lib/smartcities), and the release directory is
root's (docs/deploy.md, step 4). Every place the application writes files must therefore be set there by
the example environment, or export jobs fail on a read-only file system."""

import re
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# Settings read from the environment that name a directory the web or worker processes write into.
WRITTEN_DIRECTORIES = ("MEDIA_ROOT", "PRIVATE_STORAGE_ROOT")


def environment():
    lines = (DEPLOY / "smartcities.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if re.match(r"^[A-Z_]+=", line))


@pytest.mark.parametrize("unit", ["smartcities-web.service", "smartcities-worker.service"])
@pytest.mark.parametrize("variable", WRITTEN_DIRECTORIES)
def test_every_directory_the_services_write_is_in_their_state_directory(unit, variable):
    text = (DEPLOY / unit).read_text()
    assert "ProtectSystem=strict" in text
    state = re.search(r"^StateDirectory=(\S+)", text, re.M).group(1)
    value = environment().get(variable)
    assert value, f"deploy/smartcities.env.example leaves {variable} in the read-only release directory"
    assert value.startswith(f"/var/lib/{state}/"), value

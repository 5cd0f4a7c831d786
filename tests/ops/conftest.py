import pytest
from django.db import connections


@pytest.fixture
def database_down(transactional_db):
    """The database stops answering: the next connection goes to a closed port. Real connection
    failures through the real driver, not a mock; restored before the test database is flushed."""
    connection = connections["default"]
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"
    yield
    connection.close()
    connection.settings_dict["PORT"] = port

"""Whether the caller has a database transaction open: calls to outside systems (the directory, the
RFB registry) must not run inside one, or a slow answer holds its locks and connection."""

from django.db import connections


def open_transaction() -> str | None:
    """The alias of a database connection of this thread with a transaction of its caller's open.

    The atomic blocks a Django TestCase (pytest-django's ``db`` fixture) wraps each test in are
    not the caller's: Django marks them ``_from_testcase``, the marker its own check of durable
    blocks relies on. Any other atomic block counts, and so does autocommit turned off by hand.
    """
    for connection in connections.all(initialized_only=True):
        if any(not block._from_testcase for block in connection.atomic_blocks):
            return connection.alias
        if connection.connection is not None and not connection.in_atomic_block and not connection.autocommit:
            return connection.alias
    return None

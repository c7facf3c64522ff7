"""The lookup app keeps no rows (answers live in the cache, buckets in Redis); this model has no table."""

from django.db import models


class LookupPermissions(models.Model):  # noqa: DJ008 (no rows, so nothing to name)
    """The anchor of the app's permissions: Django keeps each permission on a model, and creating them from
    the model's Meta (not a data migration) is what lets ``backoffice.services.roles_ensure`` create them
    again after a flush. No table: ``managed = False``, and nothing reads or writes it."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_statistics", "Can ask lookups for DICT's anti-fraud statistics (the risk engine)")]

"""Writes of the LGPD audit trail."""

from collections.abc import Collection
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from audit.models import PiiView
from common.admin_helpers import PiiScreen


def pii_views_record(*, user: Any, model: type[models.Model], object_ids: Collection[Any], screen: PiiScreen) -> None:
    """Record that ``user`` sees these objects' PII in clear today; a repeat the same day adds nothing.

    The unique constraint drops repeats inside the one INSERT (``ignore_conflicts``), so two
    reloads at once never race a read-then-write. A proxy model (portability) is recorded as its
    table's model: the object is the row. The savepoint keeps a caller's transaction usable when
    the write fails, so the page can still be rendered masked.
    """
    now = timezone.now()
    with transaction.atomic():
        content_type = ContentType.objects.get_for_model(model)
        rows = [
            PiiView(
                user=user,
                content_type=content_type,
                object_id=str(object_id),
                viewed_on=timezone.localdate(now),
                first_viewed_at=now,
                screen=screen,
            )
            for object_id in object_ids
        ]
        PiiView.objects.bulk_create(rows, ignore_conflicts=True)

"""The LGPD audit trail of the back-office: who saw which object's PII in clear, and when."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from common.admin_helpers import PiiScreen


class PiiView(models.Model):
    """One user saw one object's PII unmasked, on one (local) day: staff in the admin, or the fraud team's
    users in MED's API answers (``screen`` says where).

    An audit table, not a domain event: it is not written to events.DomainEvent and never goes
    to the Pulsar outbox; nothing downstream reacts to it, compliance reads it. It names the
    object (content type and primary key), never the PII itself. One row per user, object and
    day, so a changelist of 100 rows adds at most 100 rows a day and reloads add none; the
    first sight of the day gives the time and the screen. Rows keep their user and content
    type (PROTECT): the trail outlives the staff account.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)  # integer or UUID primary keys, as text
    viewed_on = models.DateField("day")
    first_viewed_at = models.DateTimeField()
    screen = models.CharField(max_length=16, choices=PiiScreen.choices)

    class Meta:
        verbose_name = "unmasked PII view"
        ordering = ["-viewed_on", "-first_viewed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id", "viewed_on"], name="pii_view_once_a_day"
            ),
        ]
        indexes = [
            models.Index(fields=["viewed_on", "first_viewed_at"], name="pii_view_day"),
            models.Index(fields=["object_id", "content_type"], name="pii_view_object"),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.app_label}.{self.content_type.model} {self.object_id} on {self.viewed_on}"

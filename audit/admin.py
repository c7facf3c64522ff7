"""Back-office for the LGPD audit trail: auditors with the view permission read it; nobody edits it."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.models import PiiView
from audit.selectors import staff_user_list
from common.admin_helpers import ViewOnlyAdmin, mask_user, short_id


def staff_label(user: Any) -> str:
    """The login name as the logs show it (a CPF or e-mail login is masked), with the user id to tell users apart."""
    return f"{mask_user(user)} (#{user.pk})"


class StaffUserFilter(admin.SimpleListFilter):
    """By staff user, listed with masked login names (Django's related filter would print them in clear)."""

    title = "staff user"
    parameter_name = "staff"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(user.pk), staff_label(user)) for user in staff_user_list()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[PiiView]) -> QuerySet[PiiView]:
        if not self.value():
            return queryset
        if not self.value().isdigit():  # a hand-typed ?staff=abc is the client's mistake, not a 500
            raise IncorrectLookupParameters(f"{self.parameter_name} is a user id")
        return queryset.filter(user_id=self.value())


@admin.register(PiiView)
class PiiViewAdmin(ViewOnlyAdmin):
    """Read-only (ViewOnlyAdmin): an audit trail that staff could edit or delete would prove nothing.

    It does not mask through PiiMaskingMixin, so reading the trail is not itself audited: its
    rows name staff users and objects, never customers' PII.
    """

    list_display = ("viewed_on", "first_viewed_at", "staff_user", "content_type", "object_id_short", "screen")
    list_filter = (StaffUserFilter, "viewed_on", "screen")
    search_fields = ("=object_id",)
    search_help_text = "Exact object id (holder or account id, entry or claim uuid): who saw it."
    list_select_related = ("user", "content_type")
    show_full_result_count = False
    fields = ("viewed_on", "first_viewed_at", "staff_user", "content_type", "object_id", "screen")

    @admin.display(description="staff user")
    def staff_user(self, view: PiiView) -> str:
        return staff_label(view.user)

    @admin.display(description="object id", ordering="object_id")
    def object_id_short(self, view: PiiView) -> str:
        return short_id(view.object_id)

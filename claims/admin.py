"""Back-office for claims: DICT owns every field, so staff look, and act only through the back-office's
services (claim_cancel_by_staff, claim_redrive), which check the staff member's permission."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from claims.admin_filters import DeadlineFilter
from claims.models import Claim, OwnershipClaim
from claims.services import claim_cancel_by_staff, claim_redrive
from common.admin_helpers import (
    KEY_SPELLINGS_HELP,
    KeySpellingSearchMixin,
    PiiMaskingMixin,
    ViewOnlyAdmin,
    mask_user,
    short_pk,
)
from dict_rules.claims import ClaimReason
from events.history import EventHistoryMixin
from events.types import ClaimEvent
from keys.admin import mask_key


class ClaimAdminBase(EventHistoryMixin, KeySpellingSearchMixin, PiiMaskingMixin, ViewOnlyAdmin):
    """Shared by the ownership-claim and portability admins (one table, two proxies)."""

    list_display = (short_pk, "role", "status", "key_type", "key", "donor_participant", "resolution_period_end")
    list_filter = ("role", "status", "key_type", "requested_by_kind", DeadlineFilter)
    date_hierarchy = "resolution_period_end"
    search_fields = ("=key", "=dict_id")
    search_help_text = (
        f"Whole values only: {KEY_SPELLINGS_HELP}; or a DICT claim id."
        " Keys are searched only with the view-PII permission."
    )
    list_select_related = ("account", "entry")
    event_enum = ClaimEvent
    pii_fields = ("key", "requested_by", "history")
    fieldsets = (
        (None, {"fields": ("id", "claim_type", "role", "status", "key_type", "key")}),
        (
            "Parties",
            {
                "fields": (
                    "donor_participant",
                    "claimer_participant",
                    "account",
                    "entry",
                    "requested_by_kind",
                    "requested_by",
                )
            },
        ),
        (
            "DICT",
            {
                "fields": (
                    "dict_id",
                    "dict_created_at",
                    "resolution_period_end",
                    "completion_period_end",
                    "last_modified",
                    "confirm_reason",
                    "cancel_reason",
                    "cancelled_by",
                    "complete_request_id",
                )
            },
        ),
        ("History", {"fields": ("history",)}),
    )
    actions = ("cancel_fraud", "redrive")
    row_label, rows_noun = "Claim ", "claim(s)"

    def has_dict_action_permission(self, request: HttpRequest) -> bool:
        """The admin never saves rows, so "change" means "may act on the claim at DICT"."""
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.display(description="key")
    def key_masked(self, claim: Claim) -> str | None:
        return mask_key(claim.key_type, claim.key)

    @admin.display(description="requested by")
    def requested_by_masked(self, claim: Claim) -> str | None:
        return mask_user(claim.requested_by)

    @admin.action(description="Cancel selected claims at DICT (reason FRAUD)", permissions=["dict_action"])
    def cancel_fraud(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        self.act_on_each(
            request,
            queryset,
            "cancelled with FRAUD",
            lambda pk: claim_cancel_by_staff(user=request.user, claim_id=pk, reason=ClaimReason.FRAUD),
        )

    @admin.action(description="Re-drive selected claims now (read DICT, do what is due)", permissions=["dict_action"])
    def redrive(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        self.act_on_each(request, queryset, "re-driven", lambda pk: claim_redrive(user=request.user, claim_id=pk))


@admin.register(OwnershipClaim)
class OwnershipClaimAdmin(ClaimAdminBase):
    pass

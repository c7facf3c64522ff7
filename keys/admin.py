"""Back-office for entries: DICT owns every field, so staff only look, and delete or update at DICT through
the back-office's own services (entry_delete_by_staff, entry_update_by_staff), never the customer API's."""

from uuid import UUID

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import HolderColumnsMixin
from accounts.models import Holder
from common.admin_helpers import (
    KEY_SPELLINGS_HELP,
    KeySpellingSearchMixin,
    PiiMaskingMixin,
    ViewOnlyAdmin,
    mask_contact,
    mask_document,
    mask_user,
    short_pk,
)
from dict_rules.errors import DomainError
from dict_rules.keys import DeleteReason, KeyType, UpdateReason
from events.history import EventHistoryMixin
from events.types import EntryEvent
from keys.admin_filters import FailedTodayFilter, StuckFilter
from keys.domain import EntryStatus
from keys.models import Entry, SyncCheck
from keys.selectors import sync_states
from keys.services import STAFF_DELETE_PERMISSION, entry_delete_by_staff
from keys.updates import STAFF_UPDATE_PERMISSION, entry_update_by_staff


def mask_key(key_type: str, key_value: str | None) -> str | None:
    """Tax-id keys are masked like tax ids, phones and e-mails like in logs; EVPs are random, not PII."""
    if key_value is None or key_type == KeyType.EVP:
        return key_value
    if key_type in (KeyType.CPF, KeyType.CNPJ):
        return mask_document(key_value)
    return mask_contact(key_value)


@admin.register(Entry)
class EntryAdmin(HolderColumnsMixin, EventHistoryMixin, KeySpellingSearchMixin, PiiMaskingMixin, ViewOnlyAdmin):
    list_display = (short_pk, "key_type", "key_value", "status", "account", "holder_tax_id", "created_at")
    list_filter = (
        StuckFilter,
        FailedTodayFilter,
        "key_type",
        "status",
        "delete_reason",
        "requested_by_kind",
        "account__holder__person_type",
        "account__account_type",
    )
    search_fields = ("=key_value", "=account__holder__tax_id", "=account__branch", "=account__number", "=cid")
    search_help_text = (
        f"Whole values only: {KEY_SPELLINGS_HELP}; the holder's tax id, a branch, an account number or a CID."
        " Keys and tax ids are searched only with the view-PII permission."
    )
    list_select_related = ("account__holder",)
    event_enum = EntryEvent
    pii_fields = ("key_value", "holder_tax_id", "holder_name", "requested_by", "history")
    fieldsets = (
        (None, {"fields": ("id", "key_type", "key_value", "status", "delete_reason", "failure_code")}),
        ("Account", {"fields": ("account", "holder_tax_id", "holder_name")}),
        ("DICT", {"fields": ("cid", "dict_request_id", "request_id", "requested_by_kind", "requested_by")}),
        (
            "Last update",
            {
                "fields": (
                    "update_pending",
                    "update_account",
                    "update_reason",
                    "update_requested_at",
                    "owner_refresh_due",
                )
            },
        ),
        ("Dates", {"fields": ("created_at", "updated_at", "registered_at", "key_ownership_date", "deleted_at")}),
        ("History", {"fields": ("history",)}),
    )
    actions = ("delete_at_dict_fraud", "delete_at_dict_rfb_validation", "update_owner_at_dict_rfb_validation")

    def holder_of(self, entry: Entry) -> Holder:
        return entry.account.holder

    def has_dict_delete_permission(self, request: HttpRequest) -> bool:
        """The admin never deletes rows, so the model's delete permission means "may delete keys at DICT"."""
        return request.user.has_perm(STAFF_DELETE_PERMISSION)

    def has_dict_update_permission(self, request: HttpRequest) -> bool:
        """The admin never edits an entry (DICT owns it), so the change permission means "may update keys at DICT"."""
        return request.user.has_perm(STAFF_UPDATE_PERMISSION)

    @admin.action(
        description="Send the holders' current data to DICT (update, reason RFB_VALIDATION)",
        permissions=["dict_update"],
    )
    def update_owner_at_dict_rfb_validation(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        """One service call per key (its own transaction): a refusal names the key and its code, the others go on."""
        requested = 0
        for entry_id in queryset.values_list("pk", flat=True):
            try:
                entry = entry_update_by_staff(user=request.user, entry_id=entry_id, reason=UpdateReason.RFB_VALIDATION)
            except DomainError as error:
                self.message_user(request, f"Key {entry_id} not updated: {error.code}: {error.message}", messages.ERROR)
            else:
                requested += entry.update_pending
        self.message_user(request, f"{_keys(requested)} sent to DICT for an update with reason RFB_VALIDATION.")

    @admin.display(description="key value")
    def key_value_masked(self, entry: Entry) -> str | None:
        return mask_key(entry.key_type, entry.key_value)

    @admin.display(description="requested by")
    def requested_by_masked(self, entry: Entry) -> str | None:
        return mask_user(entry.requested_by)

    @admin.action(description="Delete selected keys at DICT (reason FRAUD)", permissions=["dict_delete"])
    def delete_at_dict_fraud(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._delete_at_dict(request, queryset, DeleteReason.FRAUD)

    @admin.action(description="Delete selected keys at DICT (reason RFB_VALIDATION)", permissions=["dict_delete"])
    def delete_at_dict_rfb_validation(self, request: HttpRequest, queryset: QuerySet[Entry]) -> None:
        self._delete_at_dict(request, queryset, DeleteReason.RFB_VALIDATION)

    def _delete_at_dict(self, request: HttpRequest, queryset: QuerySet[Entry], reason: DeleteReason) -> None:
        """One service call per key, each in its own transaction, so one refusal never blocks the others."""
        requested = already_deleted = 0
        refused: list[tuple[UUID, DomainError]] = []
        for entry_id, status_before in queryset.values_list("pk", "status"):
            try:
                entry_delete_by_staff(user=request.user, entry_id=entry_id, reason=reason)
            except DomainError as error:
                refused.append((entry_id, error))
            else:
                if status_before in (EntryStatus.DELETED, EntryStatus.DELETE_PENDING):
                    already_deleted += 1
                else:
                    requested += 1
        if requested:
            message = f"{_keys(requested)} sent to DICT for deletion with reason {reason}."
            self.message_user(request, message, messages.SUCCESS)
        if already_deleted:
            message = f"{_keys(already_deleted)} already deleted or being deleted, left unchanged."
            self.message_user(request, message, messages.INFO)
        for entry_id, error in refused:
            self.message_user(request, f"Key {entry_id} not deleted: {error.code}: {error.message}", messages.ERROR)


@admin.register(SyncCheck)
class SyncCheckAdmin(ViewOnlyAdmin):
    """The sync checks (keys.sync), read-only: above the list, the last result per key type. Hashes
    and counts only, no PII."""

    change_list_template = "keys/admin/synccheck_change_list.html"
    list_display = (
        "checked_at",
        "key_type",
        "ok_before",
        "repair",
        "ok",
        "entries",
        "differences",
        "added_here",
        "corrected_here",
        "removed_here",
        "updated_at_dict",
        "deleted_at_dict",
        "skipped",
        "unresolved",
    )
    list_filter = ("key_type", "ok", "repair")
    date_hierarchy = "checked_at"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        return super().changelist_view(request, {**(extra_context or {}), "sync_states": sync_states()})


def _keys(count: int) -> str:
    return f"{count} key" if count == 1 else f"{count} keys"

"""Back-office for holders and accounts.

Holders and accounts are mirrored from core banking (the import command is their only write
path), so the admin only shows them; closing an account is the one staff action (account_close_by_staff).
"""

from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from accounts.models import Account, Holder
from accounts.services import STAFF_CLOSE_PERMISSION, account_close_by_staff
from common.admin_helpers import (
    KeySpellingSearchMixin,
    PiiMaskingMixin,
    ViewOnlyAdmin,
    can_view_pii,
    mask_contact,
    mask_document,
    mask_name,
    mask_user,
)
from dict_rules.errors import DomainError
from events.history import EventHistoryMixin
from events.types import AccountEvent, HolderEvent
from rfb.models import RfbCheck
from rfb.selectors import rfb_last_check


class HolderColumnsMixin:
    """The holder's tax id and name beside rows that belong to one (accounts, entries)."""

    def holder_of(self, obj: Any) -> Holder:
        raise NotImplementedError

    @admin.display(description="holder tax id")
    def holder_tax_id(self, obj: Any) -> str:
        return self.holder_of(obj).tax_id

    @admin.display(description="holder tax id")
    def holder_tax_id_masked(self, obj: Any) -> str:
        return mask_document(self.holder_of(obj).tax_id)

    @admin.display(description="holder name")
    def holder_name(self, obj: Any) -> str:
        return self.holder_of(obj).name

    @admin.display(description="holder name")
    def holder_name_masked(self, obj: Any) -> str:
        return mask_name(self.holder_of(obj).name)


@admin.register(Holder)
class HolderAdmin(EventHistoryMixin, KeySpellingSearchMixin, PiiMaskingMixin, ViewOnlyAdmin):
    list_display = ("id", "person_type", "tax_id", "name", "trade_name", "user", "created_at")
    list_filter = ("person_type",)
    search_fields = ("=tax_id", "=accounts__branch", "=accounts__number")
    search_help_text = (
        "Whole values only: a tax id, with or without its dots, dash and slash; a branch or an account number."
        " Tax ids are searched only with the view-PII permission."
    )
    list_select_related = ("user",)
    event_enum = HolderEvent
    # The RFB outcome and status (DECEASED, SUSPENDED...) say something about the person: PII too.
    pii_fields = ("tax_id", "name", "trade_name", "user", "history", "rfb_outcome", "rfb_status")
    fieldsets = (
        (None, {"fields": ("person_type", "tax_id", "name", "trade_name", "user")}),
        ("Receita Federal", {"fields": ("rfb_outcome", "rfb_status", "rfb_checked_at")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
        ("History", {"fields": ("history",)}),
    )

    @staticmethod
    def _rfb_check(holder: Holder) -> RfbCheck | None:
        """The holder's last RFB check, read once per page (the three fields below share the instance)."""
        if not hasattr(holder, "_rfb_last_check"):
            holder._rfb_last_check = rfb_last_check(tax_id=holder.tax_id)
        return holder._rfb_last_check

    @admin.display(description="last RFB check")
    def rfb_outcome(self, holder: Holder) -> str:
        check = self._rfb_check(holder)
        return check.get_outcome_display() if check else "never checked"

    @admin.display(description="last RFB check")
    def rfb_outcome_masked(self, holder: Holder) -> str:
        return "***" if self._rfb_check(holder) else "never checked"

    @admin.display(description="RFB status")
    def rfb_status(self, holder: Holder) -> str:
        check = self._rfb_check(holder)
        return check.status if check else "-"

    @admin.display(description="RFB status")
    def rfb_status_masked(self, holder: Holder) -> str:
        return "***" if self._rfb_check(holder) else "-"

    @admin.display(description="RFB checked at")
    def rfb_checked_at(self, holder: Holder) -> datetime | None:
        check = self._rfb_check(holder)
        return check.checked_at if check else None

    @admin.display(description="tax id")
    def tax_id_masked(self, holder: Holder) -> str:
        return mask_document(holder.tax_id)

    @admin.display(description="name")
    def name_masked(self, holder: Holder) -> str:
        return mask_name(holder.name)

    @admin.display(description="trade name")
    def trade_name_masked(self, holder: Holder) -> str:
        return mask_name(holder.trade_name)

    @admin.display(description="user")
    def user_masked(self, holder: Holder) -> str | None:
        return mask_user(holder.user)


@admin.register(Account)
class AccountAdmin(HolderColumnsMixin, EventHistoryMixin, KeySpellingSearchMixin, PiiMaskingMixin, ViewOnlyAdmin):
    list_display = ("id", "ispb", "branch", "number", "account_type", "holder_tax_id", "holder_name", "closed_at")
    list_filter = ("account_type", "holder__person_type", ("closed_at", admin.EmptyFieldListFilter))
    search_fields = ("=holder__tax_id", "=branch", "=number")
    search_help_text = (
        "Whole values only: the holder's tax id, with or without its dots, dash and slash; a branch or an"
        " account number. Tax ids are searched only with the view-PII permission."
    )
    list_select_related = ("holder",)
    event_enum = AccountEvent
    pii_fields = ("holder_tax_id", "holder_name", "history")
    fieldsets = (
        (None, {"fields": ("holder", "holder_tax_id", "holder_name")}),
        ("Account", {"fields": ("ispb", "branch", "number", "account_type", "opening_date", "closed_at")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
        ("History", {"fields": ("history",)}),
    )
    actions = ("close_accounts",)

    def holder_of(self, account: Account) -> Holder:
        return account.holder

    def has_close_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(STAFF_CLOSE_PERMISSION)

    @admin.action(
        description="Close selected accounts (their keys are deleted at DICT with ACCOUNT_CLOSURE)",
        permissions=["close"],
    )
    def close_accounts(self, request: HttpRequest, queryset: Any) -> None:
        """One closure per account; running it again on a closed account finishes what was left."""
        for account_id in queryset.values_list("pk", flat=True):
            try:
                report = account_close_by_staff(user=request.user, account_id=account_id)
            except DomainError as error:
                message = f"Account {account_id} not closed: {error.code}: {error.message}"
                self.message_user(request, message, messages.ERROR)
                continue
            summary = (
                f"Account {account_id} closed: {report.keys_deleting} keys sent for deletion, "
                f"{report.claims_confirmed} portabilities confirmed, {report.claims_cancelled} claims cancelled"
            )
            if report.finished:
                self.message_user(request, summary + ".", messages.SUCCESS)
            else:
                left = f"{report.keys_left} keys and {report.claims_left} claims left: close it again later."
                self.message_user(request, f"{summary}; {left}", messages.WARNING)


User = get_user_model()


class _MaskedUser:
    """A user whose ``str()`` is masked, for the templates that print the object; everything else is the user's."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)

    def __str__(self) -> str:
        return mask_user(self._user) or ""

    def get_username(self) -> str:
        """The password page puts it in a hidden field for password managers."""
        return str(self)


class PiiUserAdmin(PiiMaskingMixin, UserAdmin):
    """Django's user admin, with login names, names and e-mails masked unless the viewer may see PII.

    A login name may be a CPF or an e-mail (holders log in with their own). The masked twins are
    read-only; the add form (no one's PII yet) is Django's own.
    """

    pii_fields = ("username", "first_name", "last_name", "email")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return UserAdmin.get_fieldsets(self, request, obj)
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not can_view_pii(request):
            readonly += [f"{name}_masked" for name in self.pii_fields]
        return readonly

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        """The page title and breadcrumbs name the user (``str(user)``, the login name): masked too."""
        original = context.get("original")
        if original is not None and not can_view_pii(request):
            context = {**context, "subtitle": mask_user(original), "original": _MaskedUser(original)}
        return super().render_change_form(request, context, *args, **kwargs)

    def history_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> Any:
        """The history page names the user (the login name): audited like the change page, else masked."""
        self.audit_object(request, object_id)
        if not can_view_pii(request):
            user = self.get_object(request, object_id)
            if user is not None:
                masked = _MaskedUser(user)
                extra_context = {**(extra_context or {}), "title": f"Change history: {masked}", "object": masked}
        return super().history_view(request, object_id, extra_context)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        """Django's page builds its context itself (no extra_context): its title and ``original`` are masked
        after. In clear, it is audited like the change page."""
        self.audit_object(request, id)
        response = super().user_change_password(request, id, form_url)
        if isinstance(response, TemplateResponse) and not can_view_pii(request):
            user = response.context_data["original"]
            masked = _MaskedUser(user)
            title = gettext("Change password: %s") if user.has_usable_password() else gettext("Set password: %s")
            response.context_data.update(title=title % masked, original=masked)
        return response

    @admin.display(description="username")
    def username_masked(self, user: Any) -> str | None:
        return mask_user(user)

    @admin.display(description="first name")
    def first_name_masked(self, user: Any) -> str:
        return mask_name(user.first_name)

    @admin.display(description="last name")
    def last_name_masked(self, user: Any) -> str:
        return mask_name(user.last_name)

    @admin.display(description="email address")
    def email_masked(self, user: Any) -> str:
        return mask_contact(user.email) if user.email else ""


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PiiUserAdmin)

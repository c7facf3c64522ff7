"""Back-office for holders and accounts.

Holders and accounts are mirrored from core banking (the import command is their only write
path), so the admin only shows them.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Account, Holder
from accounts.selectors import account_list
from common.admin_helpers import PiiMaskingMixin, ViewOnlyAdmin, mask_document, mask_name, mask_user
from events.history import EventHistoryMixin


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
class HolderAdmin(EventHistoryMixin, PiiMaskingMixin, ViewOnlyAdmin):
    list_display = ("id", "person_type", "tax_id", "name", "trade_name", "user", "created_at")
    list_filter = ("person_type",)
    search_fields = ("=tax_id", "=accounts__branch", "=accounts__number")
    search_help_text = "Exact tax id (digits only), branch or account number."
    list_select_related = ("user",)
    event_aggregate_type = "holder"
    pii_fields = ("tax_id", "name", "trade_name", "user", "history")
    fieldsets = (
        (None, {"fields": ("person_type", "tax_id", "name", "trade_name", "user")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
        ("History", {"fields": ("history",)}),
    )

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
class AccountAdmin(HolderColumnsMixin, EventHistoryMixin, PiiMaskingMixin, ViewOnlyAdmin):
    list_display = ("id", "ispb", "branch", "number", "account_type", "holder_tax_id", "holder_name", "closed_at")
    list_filter = ("account_type", "holder__person_type", ("closed_at", admin.EmptyFieldListFilter))
    search_fields = ("=holder__tax_id", "=branch", "=number")
    search_help_text = "Exact holder tax id (digits only), branch or account number."
    list_select_related = ("holder",)
    event_aggregate_type = "account"
    pii_fields = ("holder_tax_id", "holder_name", "history")
    fieldsets = (
        (None, {"fields": ("holder", "holder_tax_id", "holder_name")}),
        ("Account", {"fields": ("ispb", "branch", "number", "account_type", "opening_date", "closed_at")}),
        ("Dates", {"fields": ("created_at", "updated_at")}),
        ("History", {"fields": ("history",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return account_list(user=request.user)

    def holder_of(self, account: Account) -> Holder:
        return account.holder

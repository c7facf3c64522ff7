"""Helpers every admin of this project shares: view-only bases and PII masking.

PII is shown unmasked only to users with ``accounts.view_pii``; everyone else gets a masked
twin of each PII field.
"""

from collections.abc import Iterable
from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest

from common.logging import mask_pii
from dict_rules.masking import mask_tax_id

PII_PERMISSION = "accounts.view_pii"

# Model fields holding PII, wherever they sit in a lookup path (``account__holder__tax_id``):
# tax ids, names, contacts, key values, claim keys, login names (a CPF or an e-mail), password
# hashes, and event payloads (which carry key values). Each admin adds its own ``pii_fields``.
PII_FIELD_NAMES = frozenset(
    {
        "tax_id",
        "name",
        "trade_name",
        "key_value",
        "key",
        "email",
        "phone",
        "first_name",
        "last_name",
        "username",
        "password",
        "payload",
        "user",
        "actor",
        "requested_by",
    }
)


def can_view_pii(request: HttpRequest) -> bool:
    """Superusers pass implicitly (has_perm), everyone else needs the permission."""
    return request.user.has_perm(PII_PERMISSION)


def mask_document(tax_id: str) -> str:
    """A CPF as DICT shows it to payers; a CNPJ keeps its root (the company), not branch and check digits."""
    if len(tax_id) == 11:
        return mask_tax_id(tax_id)
    if len(tax_id) == 14:
        return f"{tax_id[:8]}******"
    return "***"


def mask_name(name: str) -> str:
    """Initials only: enough to match a caller to a record, not to identify a stranger."""
    return " ".join(f"{word[0]}***" for word in name.split())


def mask_contact(value: str) -> str:
    """An e-mail or phone as the logs show it; a value mask_pii does not recognise is hidden whole."""
    masked = mask_pii(value)
    return masked if masked != value else "***"


def mask_user(user: AbstractBaseUser | None) -> str | None:
    """A login name may be a CPF or an e-mail, so it gets the same treatment as free text in logs."""
    return None if user is None else mask_pii(str(user))


def event_details(payload: dict[str, Any]) -> str:
    """``name: value`` pairs; not ``name=value``, since mask_pii would take ``name=`` for part of an e-mail."""
    return "; ".join(f"{name}: {value}" for name, value in sorted(payload.items()))


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows here change only through services (imports, DICT's answers), so the admin never saves one."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PiiMaskingMixin:
    """Swap each PII column and field for its ``<name>_masked`` twin unless the user may see PII.

    Swapping the names (rather than masking inside one method) keeps the raw value out of the
    page entirely: the form, the list and the read-only widgets never receive it.
    """

    pii_fields: ClassVar[tuple[str, ...]] = ()

    def _for_viewer(self, request: HttpRequest, names: Iterable[str]) -> list[str]:
        if can_view_pii(request):
            return list(names)
        return [f"{name}_masked" if name in self.pii_fields else name for name in names]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return self._for_viewer(request, super().get_list_display(request))

    def _touches_pii(self, path: str) -> bool:
        """A lookup or search path with a PII field anywhere in it (``entry__key_value__startswith``)."""
        pii = PII_FIELD_NAMES.union(self.pii_fields)
        return any(part in pii for part in path.lstrip("=^@").split("__"))

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """No filtering on PII without the permission: ``?tax_id__startswith=52998`` would reveal a
        masked value digit by digit. Django answers a refused lookup with 400 (DisallowedModelAdminLookup).
        """
        if not can_view_pii(request) and self._touches_pii(lookup):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        """Without the permission, PII is not searchable: an exact search answers "is this CPF ours?"."""
        fields = list(super().get_search_fields(request))
        if can_view_pii(request):
            return fields
        return [field for field in fields if not self._touches_pii(field)]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[tuple[str | None, dict[str, Any]]]:
        return [
            (title, {**options, "fields": self._for_viewer(request, options["fields"])})
            for title, options in super().get_fieldsets(request, obj)
        ]

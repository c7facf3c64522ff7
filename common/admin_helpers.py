"""Helpers every admin of this project shares: view-only bases, PII masking and its audit, search by
any spelling of a whole key, and the lists' layout (short ids, names that may break).

PII is shown unmasked only to users with ``accounts.view_pii``, and only once the view is
recorded in the audit trail; everyone else gets a masked twin of each PII field.
"""

import logging
import re
from collections.abc import Callable, Collection, Iterable
from typing import Any, ClassVar, Protocol

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from common.logging import mask_pii
from dict_rules.errors import DomainError
from dict_rules.keys import key_spellings
from dict_rules.masking import mask_tax_id

logger = logging.getLogger(__name__)

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


class PiiScreen(models.TextChoices):
    """Where an object's PII was shown in clear: an admin page, or an API answer (MED's, to the fraud team)."""

    CHANGE = "change", "change page"
    CHANGELIST = "changelist", "changelist"
    REST = "rest", "REST API"
    GRPC = "grpc", "gRPC API"


class PiiViewRecorder(Protocol):
    """Writes the audit rows of one sight of PII; raises if it cannot."""

    def __call__(
        self, *, user: Any, model: type[models.Model], object_ids: Collection[Any], screen: PiiScreen
    ) -> None: ...


def _no_recorder(*, user: Any, model: type[models.Model], object_ids: Collection[Any], screen: PiiScreen) -> None:
    """Until the audit app registers its recorder, every sight fails, so PII stays masked."""
    raise RuntimeError("no PII view recorder is registered")


_pii_view_recorder: PiiViewRecorder = _no_recorder

# Set on a request whose sight of PII could not be audited: the rest of it is rendered masked.
_UNAUDITED = "_pii_view_unaudited"


def register_pii_view_recorder(recorder: PiiViewRecorder) -> None:
    """The kernel imports no app, so the audit app names the function that writes the rows when Django starts."""
    global _pii_view_recorder
    _pii_view_recorder = recorder


def can_view_pii(request: HttpRequest) -> bool:
    """Superusers pass implicitly (has_perm), everyone else needs the permission; never after a failed audit."""
    return not getattr(request, _UNAUDITED, False) and request.user.has_perm(PII_PERMISSION)


def audit_pii_view(
    request: HttpRequest, model: type[models.Model], object_ids: Collection[Any], screen: PiiScreen
) -> None:
    """Record that the user is about to see these objects' PII in clear (call only when can_view_pii).

    Fails closed: PII shown unaudited is what LGPD forbids, so if the rows cannot be written the
    rest of the request is masked (can_view_pii turns false) and the page says so. Masked rather
    than a 503, so the back-office stays usable while the audit table is not.
    """
    if not object_ids:
        return
    try:
        _pii_view_recorder(user=request.user, model=model, object_ids=object_ids, screen=screen)
    except Exception:  # any failure to audit means masked; the reason goes to the log (ids only, no PII)
        logger.warning("PII view of %s not audited; rendering it masked", model._meta.label, exc_info=True)
        setattr(request, _UNAUDITED, True)
        messages.warning(request, "PII is masked: this view could not be recorded in the audit trail.")


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


SHORT_ID_LENGTH = 8

# How the search boxes of key columns say what they accept (key_spellings).
KEY_SPELLINGS_HELP = (
    "a whole key: a phone as 11987654321, (11) 98765-4321 or +55 11 98765-4321; "
    "a CPF or CNPJ with or without its dots, dash and slash; an e-mail in any case"
)


def short_id(value: object) -> SafeString | str:
    """An id cut to its first characters, the whole of it on hover (the title) and on its own page:
    a UUID column wraps to five lines. A short id (a holder's number) is shown as it is."""
    full = str(value)
    if len(full) <= SHORT_ID_LENGTH:
        return full
    return format_html('<span class="short-id" title="{}">{}</span>', full, full[:SHORT_ID_LENGTH])


# A CamelCase name's words (and anything between them): where it may break.
_NAME_WORDS = re.compile(r"[A-Z][a-z]*|[^A-Z]+")


def breakable_name(name: str) -> SafeString:
    """A CamelCase name (an event type) that may break between its words: narrow columns stay narrow."""
    return format_html_join(mark_safe("<wbr>"), "{}", ((word,) for word in _NAME_WORDS.findall(name)))


@admin.display(description="id", ordering="pk")
def short_pk(obj: models.Model) -> SafeString | str:
    """The changelist's first column (the link to the object), as a short id."""
    return short_id(obj.pk)


def event_details(payload: dict[str, Any]) -> str:
    """``name: value`` pairs; not ``name=value``, since mask_pii would take ``name=`` for part of an e-mail."""
    return "; ".join(f"{name}: {value}" for name, value in sorted(payload.items()))


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows here change only through services (imports, DICT's answers), so the admin never saves one.

    So Django's own history of a row (the admin's saves) is always empty: the change page drops its
    "History" button, and the row's history is the event timeline its page shows, where it has one.
    """

    change_form_template = "common/admin/view_only_change_form.html"

    class Media:
        css = {"all": ("common/admin_layout.css",)}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # How act_on_each names a refused row (before its id) and the rows acted on (None: verbose_name_plural).
    row_label: ClassVar[str] = ""
    rows_noun: ClassVar[str | None] = None

    def act_on_each(self, request: HttpRequest, queryset: QuerySet, done: str, act: Callable[[Any], Any]) -> None:
        """An admin action as one service call per row, so one refusal never blocks the others."""
        succeeded = 0
        for row_id in queryset.values_list("pk", flat=True):
            try:
                act(row_id)
            except DomainError as error:
                self.message_user(request, f"{self.row_label}{row_id}: {error.code}: {error.message}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            noun = self.rows_noun or self.opts.verbose_name_plural
            self.message_user(request, f"{succeeded} {noun} {done}.", messages.SUCCESS)


class KeySpellingSearchMixin:
    """Search for the term as typed and for each whole key it spells (dict_rules.keys.key_spellings).

    So ``(11) 98765-4321`` finds the phone key ``+5511987654321`` and ``123.456.789-09`` the
    CPF ``12345678909``, in the key column and in the tax-id columns alike. Each spelling goes
    through Django's own search with the fields get_search_fields allows this viewer, so the PII
    policy (no PII search without accounts.view_pii, whole values only) stays as it is.
    """

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        for spelling in key_spellings(search_term):
            if spelling != search_term:
                more, more_duplicates = super().get_search_results(request, queryset, spelling)
                found, may_have_duplicates = found | more, may_have_duplicates or more_duplicates
        return found, may_have_duplicates


class PiiMaskingMixin:
    """Swap each PII column and field for its ``<name>_masked`` twin unless the user may see PII.

    Swapping the names (rather than masking inside one method) keeps the raw value out of the
    page entirely: the form, the list and the read-only widgets never receive it. A user who
    may see PII has each change page and each changelist row audited before the page is built.
    """

    pii_fields: ClassVar[tuple[str, ...]] = ()

    def _for_viewer(self, request: HttpRequest, names: Iterable[str]) -> list[str]:
        if can_view_pii(request):
            return list(names)
        return [f"{name}_masked" if name in self.pii_fields else name for name in names]

    def get_list_display(self, request: HttpRequest) -> list[str]:
        return self._for_viewer(request, super().get_list_display(request))

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        """Audit the rows of this page only; if that fails, build the page again, masked."""
        changelist = super().get_changelist_instance(request)
        if can_view_pii(request):
            shown = [obj.pk for obj in changelist.result_list]
            audit_pii_view(request, self.model, shown, PiiScreen.CHANGELIST)
            if not can_view_pii(request):
                changelist = super().get_changelist_instance(request)
        return changelist

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Audit the object before its page is built, so a failed audit masks the whole page."""
        self.audit_object(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def audit_object(self, request: HttpRequest, object_id: str) -> None:
        """Before a page that shows one object's PII is built: audit it if the user will see it in clear.

        A page the user may not open (Django answers it 403) shows nothing, so it is not a view.
        """
        if can_view_pii(request):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_view_or_change_permission(request, obj):
                audit_pii_view(request, self.model, [obj.pk], PiiScreen.CHANGE)

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

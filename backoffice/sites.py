"""The admin site of the back-office: Django's, with the staff home page as its index."""

from typing import Any

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone

from backoffice.selectors import staff_home


class BackofficeSite(AdminSite):
    site_header = "Core DICT back-office"
    site_title = "Core DICT"
    index_title = "Staff home"
    site_url = None  # "View site": this service has no site besides the API and this back-office
    index_template = "backoffice/staff_home.html"  # in the top-level templates/

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """Django's index (its app list stays, beside the home page), with what is due for the viewer."""
        home = staff_home(user=request.user, now=timezone.now())
        return super().index(request, {**(extra_context or {}), "home": home})

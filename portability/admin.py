"""Back-office for portabilities: the claims admin over the portability proxy."""

from django.contrib import admin

from claims.admin import ClaimAdminBase
from portability.models import Portability


@admin.register(Portability)
class PortabilityAdmin(ClaimAdminBase):
    pass

from django.urls import path

from portability.api import PortabilityCancelApi, PortabilityConfirmApi, PortabilityCreateApi

urlpatterns = [
    path("", PortabilityCreateApi.as_view(), name="portability-create"),
    path("<uuid:claim_id>/confirm/", PortabilityConfirmApi.as_view(), name="portability-confirm"),
    path("<uuid:claim_id>/cancel/", PortabilityCancelApi.as_view(), name="portability-cancel"),
]

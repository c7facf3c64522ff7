from django.urls import path

from keys.api import KeyDetailApi, KeyListCreateApi

urlpatterns = [
    path("", KeyListCreateApi.as_view(), name="key-list"),
    path("<uuid:entry_id>/", KeyDetailApi.as_view(), name="key-detail"),
]

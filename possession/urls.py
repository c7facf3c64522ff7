from django.urls import path

from possession.api import ChallengeConfirmApi, ChallengeStartApi

urlpatterns = [
    path("", ChallengeStartApi.as_view(), name="possession-challenge-start"),
    path("<uuid:challenge_id>/confirm/", ChallengeConfirmApi.as_view(), name="possession-challenge-confirm"),
]

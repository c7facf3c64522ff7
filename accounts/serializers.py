"""Output shapes for accounts."""

from rest_framework import serializers

from accounts.models import Account


class AccountOut(serializers.ModelSerializer):
    holder_name = serializers.CharField(source="holder.name")
    person_type = serializers.CharField(source="holder.person_type")

    class Meta:
        model = Account
        fields = ["id", "ispb", "branch", "number", "account_type", "opening_date", "person_type", "holder_name"]

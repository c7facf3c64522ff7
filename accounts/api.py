"""REST views for accounts: parse, call a selector, render."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView

from accounts.selectors import account_list
from accounts.serializers import AccountOut
from common.pagination import IdCursorPagination


@extend_schema(summary="The caller's accounts")
class AccountListApi(ListAPIView):
    serializer_class = AccountOut
    pagination_class = IdCursorPagination

    def get_queryset(self):
        return account_list(user=self.request.user)

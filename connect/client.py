"""Choosing the directory adapter from settings."""

from functools import cache

from connect.local import LocalDirectoryClient
from connect.ports import DirectoryClient


@cache
def get_client() -> DirectoryClient:
    return LocalDirectoryClient()

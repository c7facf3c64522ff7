"""The environment of a run on loopback: a throwaway secret key and plain HTTP.

A pytest plugin (``-p tests.loopback_env`` in pyproject's addopts) so that it acts before
pytest-django loads the settings, which refuse to load without a strong SECRET_KEY on PostgreSQL
and, in production, redirect plain HTTP. ``make test`` passes its own key; a bare ``pytest`` gets
one here. Subprocesses (the e2e tests) and xdist workers inherit it. The benchmarks use it too.
"""

import os
import secrets

import pytest


def loopback_env() -> dict[str, str]:
    """A fresh strong key, and the development profile: loopback speaks HTTP, so no HTTPS redirect."""
    return {"SECRET_KEY": secrets.token_urlsafe(50), "DJANGO_ENV": "development"}


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests() -> None:
    """Before pytest-django's own implementation of this hook, which loads the settings."""
    for name, value in loopback_env().items():
        os.environ.setdefault(name, value)

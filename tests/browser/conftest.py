"""Browser tests of the back-office: the real web server (gunicorn) on the test database, Debian's Chromium
driven by Playwright, one browser per module (one module today: one per test session).

The data is seeded once per module (seed_demo's users, then keys and claims through the services, committed
so the server sees them) and the test database is flushed afterwards, as a transactional test would: other
modules of the same xdist worker find it as migrate left it (the roles included, post_migrate recreates them).
Screenshots go to SCREENSHOT_DIR (default var/screenshots, git-ignored), which CI can keep as artefacts.
"""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e_support import ROOT, base_env, free_port, gunicorn, running, shared_database_url

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As the machine notes say: without the background-networking flags Chromium keeps calling Google's hosts.
CHROMIUM_FLAGS = [
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "var" / "screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One browser for the module's tests. Playwright's sync API keeps an event loop running on this thread,
    and Django then refuses every query of the test itself (SynchronousOnlyOperation): its guard is off while
    the browser is up (nothing here is async), and the database connections made meanwhile belong to that
    loop's context, so they are closed with it. Module-scoped, so neither outlives the browser tests: other
    modules of the same xdist worker run with the guard on and their own connections."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install -y chromium` (.ci/run does)")
    guard = pytest.MonkeyPatch()
    guard.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            yield launched
            launched.close()
            connections.close_all()
    finally:
        guard.undo()


@dataclass
class BackOffice:
    base: str
    browser: Browser

    def login(self, username: str) -> Page:
        """A fresh browser context (its own cookies) logged in to the admin as ``username``."""
        context: BrowserContext = self.browser.new_context(base_url=self.base, viewport={"width": 1400, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", username)
        page.fill("#id_password", f"{username}-demo-pass")
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")
        return page


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """The admin's CSS and scripts, collected once (WhiteNoise serves STATIC_ROOT only)."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    env = base_env(DATA_DIR=str(data_dir))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return data_dir


@pytest.fixture(scope="module")
def committed_data(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Lets the module's seeding commit; afterwards empties the test database as a transactional test does."""
    with django_db_blocker.unblock():
        yield
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def back_office(committed_data, static_root, browser, tmp_path_factory) -> Iterator[BackOffice]:
    """gunicorn serving the admin on the test database (no beat: nothing moves the seeded data but the tests)."""
    port = free_port()
    env = base_env(
        DATABASE_URL=shared_database_url(),
        REDIS_URL=settings.REDIS_URL,
        CACHE_KEY_PREFIX=f"browser-{uuid.uuid4().hex[:8]}",
        CELERY_TASK_ALWAYS_EAGER="1",
        DATA_DIR=str(static_root),
    )
    log = tmp_path_factory.mktemp("browser-log") / "gunicorn.log"  # read it when a test fails
    with running(gunicorn(env, port), env, port=port, log=log):
        yield BackOffice(base=f"http://127.0.0.1:{port}", browser=browser)

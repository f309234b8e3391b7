"""Test settings: the production settings module, with DEBUG off, a test key
and the fast password hasher (argon2 stays the configured default)."""

import os

os.environ.update(
    DEBUG="0",
    SECRET_KEY="test-only-" + "x" * 60,
    ALLOWED_HOSTS="testserver,localhost,127.0.0.1",
    SECURE_COOKIES="0",
    SECURE_SSL_REDIRECT="0",
    REQUIRE_2FA="0",
)

from openiop.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test sites are in Oregon: a test's "today" outside a request is the
# site's, as a page's is (the server default stays UTC in production; tests of
# work outside a request set it back to UTC where that is the point).
TIME_ZONE = "America/Los_Angeles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def _allow_test_flush(sender, connection, **kwargs):
    """Django empties tables between transactional tests with TRUNCATE; the audit
    tables refuse it unless this session says it is maintenance (tests only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET openiop.audit_maintenance = 'on'")


from django.db.backends.signals import connection_created  # noqa: E402

connection_created.connect(_allow_test_flush)

"""Settings come from the environment; outside debug the process refuses to
start without a real SECRET_KEY and ALLOWED_HOSTS, and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "prod-like-secret-for-the-deploy-check-0123456789abcdef"


def run(code: str, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "REQUIRE_2FA",
            "SECURE_COOKIES",
            "SECURE_SSL_REDIRECT",
            "DJANGO_SETTINGS_MODULE",
            "DATABASE_URL",
        }
    }
    base.update(env)
    base["DJANGO_SETTINGS_MODULE"] = "openiop.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_refuses_to_start_without_a_secret_key_outside_debug():
    result = run("import django; django.setup()", DEBUG="0", ALLOWED_HOSTS="example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_the_development_key_outside_debug():
    result = run(
        "import django; django.setup()",
        DEBUG="0",
        ALLOWED_HOSTS="example.org",
        SECRET_KEY="insecure-development-key-not-for-production",
    )
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_without_allowed_hosts_outside_debug():
    result = run("import django; django.setup()", DEBUG="0", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_the_cli_says_so_in_one_sentence_with_status_2():
    result = subprocess.run(
        [sys.executable, "-m", "openiop", "check"],
        cwd=ROOT,
        env={
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "",
            "ALLOWED_HOSTS": "",
            "DJANGO_SETTINGS_MODULE": "",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("openiop: SECRET_KEY must be set")
    assert "Traceback" not in result.stderr


def test_production_settings_pass_check_deploy_and_require_two_factor():
    code = (
        "import django; django.setup();"
        "from django.conf import settings; assert settings.REQUIRE_2FA, 'REQUIRE_2FA off';"
        "from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING')"
    )
    result = run(code, DEBUG="0", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="iop.example.org")
    assert result.returncode == 0, result.stderr + result.stdout


def test_debug_needs_no_configuration():
    result = run(
        "import django; django.setup(); from django.conf import settings;"
        "print(settings.DATABASES['default']['ENGINE'])",
        DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert "sqlite3" in result.stdout


def test_rate_limits_and_the_cache_come_from_the_environment():
    done = run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.RATE_LIMITS, s.CACHES['default']['BACKEND'], s.SESSION_ENGINE)",
        DEBUG="1",
        RATE_LIMITS="directory-page=off,directory-api=600/minute",
        CACHE_URL="redis://127.0.0.1:6379/9",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "{'directory-page':",
        "'off',",
        "'directory-api':",
        "'600/minute'}",
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.cached_db",
    ]

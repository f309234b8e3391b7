"""The only authentication backend: it restores the signed-in user of a session
and accepts no password. Passwords are checked in one place,
`accounts.services.login_attempt` (lockout, audit), behind the one sign-in page;
any other caller of `django.contrib.auth.authenticate` (the admin's login form,
a third-party view) gets nobody."""

from django.contrib.auth.backends import ModelBackend


class SessionOnlyBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        return None

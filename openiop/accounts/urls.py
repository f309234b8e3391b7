from django.urls import path

from openiop.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("verify/", views.verify_view, name="verify"),
    path("two-factor/", views.two_factor_setup, name="2fa_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<uuid:token_uuid>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
]

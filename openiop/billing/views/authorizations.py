"""Billing pages: authorizations."""

urlpatterns: list = []

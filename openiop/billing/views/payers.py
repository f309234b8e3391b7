"""Billing pages: payers."""

urlpatterns: list = []

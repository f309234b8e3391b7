"""Billing pages: charges."""

urlpatterns: list = []

"""Billing pages: days."""

urlpatterns: list = []

"""Billing pages: certifications."""

urlpatterns: list = []

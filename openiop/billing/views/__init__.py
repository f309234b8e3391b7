"""Billing pages, one module per area; each defines `urlpatterns` (joined in
`billing/urls.py`)."""

"""Writes of the scheduling app (each in `transaction.atomic`, audited)."""

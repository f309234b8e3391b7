"""Writes of the clinical record. Each runs in one transaction with its audit
event; bad input raises ApplicationError before anything is written."""

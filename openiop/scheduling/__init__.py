"""Scheduling: the week's sessions and the optimizer that builds them.

`solver/` is the pure-Python optimizer (plain dataclasses in, a schedule out,
no ORM; its docstring says how to fill it); the rest of the package is the
Django side that fills it from the database and publishes its answer.
"""

"""Scheduling: the week's sessions, built by an optimizer.

For now this package holds only `solver/`, the pure-Python optimizer (plain
dataclasses in, a schedule out, no ORM). The Django side (session models,
availability, rosters, calendars) will become an app here later.
"""

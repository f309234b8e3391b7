"""State transitions: one conditional UPDATE each, so of two requests that
move the same record at once exactly one wins and the other is told so
(nothing it would have written is written: call this first in the
transaction, before the audit event and any dependent write)."""

from django.utils import timezone

from openiop.core.errors import Conflict


def transition(obj, *, to, from_, field: str = "status", message: str = "", **values) -> None:
    """Move `obj.<field>` from one of `from_` to `to` (with `values` set in the same
    UPDATE); raise Conflict when the row is no longer in one of `from_`."""
    model = type(obj)
    allowed = list(from_) if isinstance(from_, list | tuple | set | frozenset) else [from_]
    changes = {field: to, **values}
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        changes["updated_at"] = timezone.now()
    moved = model._base_manager.filter(pk=obj.pk, **{f"{field}__in": allowed}).update(**changes)
    if not moved:
        raise Conflict(
            message or "Someone else changed this record a moment ago; reload it and try again."
        )
    for name, value in changes.items():
        setattr(obj, name, value)

"""Request and job context carried in contextvars (not thread-locals), so the
audit trail knows who acted, from where, for which request, also in jobs."""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ActorContext:
    request_id: str = ""
    client_ip: str | None = None
    user_agent: str = ""
    purpose: str = "treatment"
    via: str = "web"  # web | api | cli | job


_current: contextvars.ContextVar[ActorContext] = contextvars.ContextVar(
    "openiop_context",
    default=ActorContext(),  # noqa: B039 - frozen, so never mutated
)


def current() -> ActorContext:
    return _current.get()


@contextlib.contextmanager
def bind(**changes):
    """Run a block with some context fields set, e.g. `bind(via="cli")`."""
    base = _current.get()
    if not changes.get("request_id") and not base.request_id:
        changes["request_id"] = uuid.uuid4().hex
    token = _current.set(replace(base, **changes))
    try:
        yield _current.get()
    finally:
        _current.reset(token)

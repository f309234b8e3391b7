"""Domain errors. Services raise these; views and the API turn them into 4xx answers."""


class ApplicationError(Exception):
    """A request the domain refuses, with a message a person can act on.

    `fields` maps a field name to its messages, so forms and the API can show
    the error next to the field that caused it.
    """

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    @classmethod
    def for_field(cls, field: str, message: str) -> "ApplicationError":
        return cls(message, fields={field: [message]})


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"


class NotFound(ApplicationError):
    status = 404
    code = "not_found"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"

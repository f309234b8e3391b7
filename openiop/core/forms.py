from openiop.core.errors import ApplicationError


def apply_errors(form, exc: ApplicationError) -> None:
    """Show a domain error on the form, next to its field where it names one."""
    if not exc.fields:
        form.add_error(None, exc.message)
        return
    for field, msgs in exc.fields.items():
        target = field if field in form.fields else None
        for msg in msgs:
            form.add_error(target, msg)

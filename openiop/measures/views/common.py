from django.core.paginator import Paginator

from openiop.core.errors import ApplicationError
from openiop.core.forms import apply_errors
from openiop.core.pagination import PAGE_SIZE
from openiop.measures.forms import item_field_name


def apply_answer_errors(form, exc: ApplicationError) -> None:
    """Show the scorer's errors ("answers.9") next to their item on the form."""
    fields = {}
    for key, msgs in exc.fields.items():
        if key.startswith("answers."):
            key = item_field_name(key.split(".", 1)[1])
        fields[key] = msgs
    apply_errors(form, ApplicationError(exc.message, fields=fields))
    if hasattr(form, "offer_clearing"):
        form.offer_clearing()


def paginate_list(request, items: list, per_page: int = PAGE_SIZE):
    paginator = Paginator(items, per_page)
    return paginator.get_page(request.GET.get("page"))

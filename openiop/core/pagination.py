"""One pager for every list page: fixed page size, no unbounded lists."""

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Window

PAGE_SIZE = 25
MAX_OFFSET = 2**62  # a page number beyond it is out of range without asking the database


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    paginator = Paginator(queryset, per_page)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def paginate_counted(request, queryset, per_page: int = PAGE_SIZE):
    """`paginate`, with the total counted by the page's own query (`COUNT(*)
    OVER ()`) rather than a query of its own: for a search whose matches are
    found through an index, the count and the page each read every match, and
    this reads them once. Same pages as `paginate`: a page number that is not
    one is the first page, one out of range the last."""
    paginator = Paginator(queryset, per_page)
    try:
        number = int(request.GET.get("page") or 1)
    except (TypeError, ValueError):
        number = 1
    rows = _rows(queryset, number, per_page) if 1 <= number <= MAX_OFFSET // per_page else []
    if rows:
        paginator.count = rows[0].total_matching
    elif number == 1:
        paginator.count = 0
    else:  # past the end (or below 1): the last page, as `paginate` gives
        paginator.count = queryset.count()
        number = paginator.num_pages
        rows = _rows(queryset, number, per_page)
    return Page(rows, number, paginator)


def _rows(queryset, number: int, per_page: int) -> list:
    bottom = (number - 1) * per_page
    counted = queryset.annotate(total_matching=Window(Count("*")))
    return list(counted[bottom : bottom + per_page])

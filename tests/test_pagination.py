"""`paginate_counted` gives the pages `paginate` gives, counting with the page's query."""

import pytest
from django.test import RequestFactory

from openiop.core.pagination import paginate, paginate_counted
from openiop.patients.models import Patient
from tests.factories import OrganizationFactory, PatientFactory

pytestmark = pytest.mark.django_db

PAGES = ["", "1", "2", "3", "4", "0", "-1", "abc", "1.5", "2.0", " 2 ", "999", str(10**30)]


def both(queryset, page: str):
    request = RequestFactory().get("/", {"page": page} if page else {})
    return paginate(request, queryset, 3), paginate_counted(request, queryset, 3)


@pytest.mark.parametrize("page", PAGES)
def test_the_same_page_and_total_as_the_counting_pager(page):
    org = OrganizationFactory()
    for _ in range(8):
        PatientFactory(organization=org)
    qs = Patient.objects.filter(organization=org).order_by("legal_family_name", "id")
    plain, counted = both(qs, page)
    assert counted.number == plain.number
    assert [p.pk for p in counted.object_list] == [p.pk for p in plain.object_list]
    assert counted.paginator.count == plain.paginator.count == 8
    assert counted.paginator.num_pages == plain.paginator.num_pages == 3
    assert (counted.has_next(), counted.has_previous()) == (plain.has_next(), plain.has_previous())


@pytest.mark.parametrize("page", ["", "2", "0"])
def test_nothing_to_page(page):
    plain, counted = both(Patient.objects.none().order_by("id"), page)
    assert (counted.number, list(counted.object_list), counted.paginator.count) == (
        plain.number,
        [],
        0,
    )


def test_one_query_for_a_page_in_range(django_assert_num_queries):
    org = OrganizationFactory()
    for _ in range(5):
        PatientFactory(organization=org)
    qs = Patient.objects.filter(organization=org).order_by("id")
    request = RequestFactory().get("/", {"page": "2"})
    with django_assert_num_queries(1):
        page = paginate_counted(request, qs, 3)
        assert (len(page.object_list), page.paginator.count) == (2, 5)

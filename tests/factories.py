"""factory_boy factories. Names are synthetic and look it."""

import datetime as dt
import itertools

import factory
from django.utils import timezone

from openiop.accounts.models import Membership, User
from openiop.care.models import Episode
from openiop.organizations.models import Organization, Program, Site, Track
from openiop.patients.models import Patient

PASSWORD = "correct-horse-battery-test"
_seq = itertools.count(1)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Test Org {n}")
    slug = factory.Sequence(lambda n: f"test-org-{n}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Test Site {n}")
    street = "1 Test Way"
    city = "Portland"
    state = "OR"
    zip_code = "97201"
    time_zone = "America/Los_Angeles"
    latitude = "45.507800"
    longitude = "-122.689700"


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    organization = factory.SubFactory(OrganizationFactory)
    site = factory.LazyAttribute(lambda o: SiteFactory(organization=o.organization))
    name = factory.Sequence(lambda n: f"Test Program {n}")
    population = "adult"
    focus = "substance_use"
    level_of_care = "2.1"
    min_weekly_hours = 9
    max_weekly_hours = 19
    min_age = factory.LazyAttribute(lambda o: 12 if o.population == "adolescent" else 18)
    max_age = factory.LazyAttribute(lambda o: 17 if o.population == "adolescent" else None)


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Track

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Evening {n}")
    kind = "evening"
    weekdays = [1, 3, 4]
    start_time = dt.time(18)
    end_time = dt.time(21)
    capacity = 12


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"Test User {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def staff(role: str, *, program=None, organization=None, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(
        user=user,
        role=role,
        program=program,
        organization=organization or program.organization,
    )
    return user


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    organization = factory.SubFactory(OrganizationFactory)
    mrn = factory.Sequence(lambda n: f"TEST-{n:06d}")
    legal_given_name = factory.Iterator(["Avery", "Blake", "Casey", "Dana"])
    legal_family_name = factory.Sequence(lambda n: f"Testperson{n}")
    date_of_birth = dt.date(1990, 4, 30)
    search_name = factory.LazyAttribute(
        lambda o: f"{o.legal_given_name} {o.legal_family_name}".lower()
    )


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    program = factory.SubFactory(ProgramFactory)
    organization = factory.SelfAttribute("program.organization")
    patient = factory.LazyAttribute(lambda o: PatientFactory(organization=o.organization))
    referral_source = "self"
    admission_type = "direct"
    admitted_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=10))

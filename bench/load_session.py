"""For bench/load.sh: a signed-in session of a demo user, and the pages to walk.

Prints two lines: the Cookie header value, and a comma-separated list of paths
(dashboard, patient search, charts, plans, a roster, the finder), all of which
the user may open."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
django.setup()

from django.test import Client  # noqa: E402

from openiop.accounts.models import User  # noqa: E402
from openiop.care.plans.plan_models import TreatmentPlan  # noqa: E402
from openiop.patients.models import Patient  # noqa: E402
from openiop.scheduling.models import Session  # noqa: E402

user = User.objects.get(username=sys.argv[1] if len(sys.argv) > 1 else "clinician")
client = Client()
client.force_login(user)
patients = list(Patient.objects.visible_to(user, "view").order_by("pk")[:5])
plans = list(TreatmentPlan.objects.filter(patient__in=patients).order_by("pk")[:3])
session = Session.objects.visible_to(user, "view").order_by("-starts_at").first()
paths = ["/", "/patients/?q=a", "/care/caseload/", "/find/?near=97204"]
paths += [f"/patients/{p.uuid}/" for p in patients]
paths += [f"/care/plans/{p.uuid}/" for p in plans]
if session:
    paths.append(f"/scheduling/sessions/{session.uuid}/")
print(f"sessionid={client.cookies['sessionid'].value}")
print(",".join(paths))

"""Writes out every calendar feed the demo can serve, for check.mjs.

    DATABASE_URL=sqlite:///... python .ci/validators/ical/demo_feeds.py OUT_DIR

A feed link is made for every patient with a place on a session in the feed's
window and for every staff member who runs one; each is fetched through the
public URL (/calendar/<token>.ics, Django's test client) and written as
OUT_DIR/<kind>-<n>.ics, beside <kind>-<n>.expected.json: each session's UID
and its start and end in UTC, read from the database, not from the feed.
Meant for a throwaway copy of the demo (it adds feed links).
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openiop.settings")
os.environ.setdefault("DEBUG", "1")
os.environ["RATE_LIMITS"] = "calendar-feed=off"

import django  # noqa: E402

django.setup()

import datetime as dt  # noqa: E402

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from openiop.access.scope import grant  # noqa: E402
from openiop.accounts.models import User  # noqa: E402
from openiop.care.models import Episode  # noqa: E402
from openiop.scheduling.models import RosterEntry, RosterStatus, Session  # noqa: E402
from openiop.scheduling.services.feeds import (  # noqa: E402
    feed_create_for_patient,
    feed_create_for_self,
)
from openiop.scheduling.views.feeds import FUTURE_DAYS, PAST_DAYS  # noqa: E402


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected(sessions) -> dict:
    return {
        f"{s.uuid}@{settings.SITE_DOMAIN}": {"start": iso(s.starts_at), "end": iso(s.ends_at)}
        for s in sessions
    }


def sharer_for(patient, staff):
    programs = set(Episode.objects.filter(patient=patient).values_list("program_id", flat=True))
    for user in staff:
        if programs & set(grant(user, "calendar.share").program_ids):
            return user
    raise SystemExit(f"nobody may share patient {patient.pk}'s calendar")


def main(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    now = timezone.now()
    window = (now - dt.timedelta(days=PAST_DAYS), now + dt.timedelta(days=FUTURE_DAYS))
    in_window = Session.objects.filter(starts_at__range=window)
    places = RosterEntry.objects.filter(
        session__in=in_window, status__in=(RosterStatus.ENROLLED, RosterStatus.REMOVED)
    ).select_related("patient", "session")
    by_patient: dict = {}
    for place in places:
        by_patient.setdefault(place.patient, []).append(place.session)
    staff = list(User.objects.filter(is_active=True).order_by("pk"))
    feeds = []
    for patient, sessions in sorted(by_patient.items(), key=lambda item: item[0].pk):
        _feed, token = feed_create_for_patient(actor=sharer_for(patient, staff), patient=patient)
        feeds.append(("patient", token, sessions))
    facilitators = User.objects.filter(
        pk__in=in_window.exclude(facilitator=None).values("facilitator")
    ).order_by("pk")
    for user in facilitators:
        _feed, token = feed_create_for_self(
            actor=user, organization_id=in_window.filter(facilitator=user)[0].organization_id
        )
        feeds.append(("staff", token, list(in_window.filter(facilitator=user))))
    client = Client()
    events = 0
    for n, (kind, token, sessions) in enumerate(feeds, 1):
        response = client.get(f"/calendar/{token}.ics", HTTP_HOST="localhost")
        if response.status_code != 200:
            raise SystemExit(f"{kind} feed {n}: HTTP {response.status_code}")
        (out / f"{kind}-{n}.ics").write_bytes(response.content)
        want = expected(sessions)
        events += len(want)
        (out / f"{kind}-{n}.expected.json").write_text(json.dumps({"events": want}, indent=1))
    print(f"{len(feeds)} feeds with {events} events written to {out}")
    if not feeds or not events:
        raise SystemExit("the demo has no session in the feeds' window: nothing was checked")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(Path(sys.argv[1])))

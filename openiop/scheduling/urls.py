from django.urls import path

from openiop.scheduling.views import calendar, feeds, notes, patients, planning, setup

app_name = "scheduling"
urlpatterns = [
    path("", calendar.week, name="week"),
    path("day/<str:date>/", calendar.day, name="day"),
    path("sessions/new/", calendar.session_new, name="session_new"),
    path("sessions/<uuid:session_uuid>/", calendar.session_detail, name="session"),
    path("sessions/<uuid:session_uuid>/print/", calendar.session_print, name="session_print"),
    path("sessions/<uuid:session_uuid>/roster/", calendar.roster_add, name="roster_add"),
    path(
        "sessions/<uuid:session_uuid>/roster/remove/",
        calendar.roster_remove,
        name="roster_remove",
    ),
    path("sessions/<uuid:session_uuid>/cancel/", calendar.session_cancel, name="session_cancel"),
    path("sessions/<uuid:session_uuid>/note/", notes.note_start, name="note_start"),
    path("plan/", planning.plan, name="plan"),
    path("runs/<uuid:run_uuid>/", planning.run_detail, name="run"),
    path("runs/<uuid:run_uuid>/publish/", planning.run_publish, name="run_publish"),
    path("runs/<uuid:run_uuid>/discard/", planning.run_discard, name="run_discard"),
    path("runs/<uuid:run_uuid>/apply/", planning.run_apply, name="run_apply"),
    path("programs/<uuid:program_uuid>/repair/", planning.repair, name="repair"),
    path("programs/<uuid:program_uuid>/series/", setup.series, name="series"),
    path("programs/<uuid:program_uuid>/staff/", setup.staff, name="staff"),
    path(
        "programs/<uuid:program_uuid>/staff/<uuid:user_uuid>/",
        setup.staff_edit,
        name="staff_edit",
    ),
    path("programs/<uuid:program_uuid>/rooms/", setup.rooms, name="rooms"),
    path("programs/<uuid:program_uuid>/rooms/<uuid:room_uuid>/", setup.room_edit, name="room_edit"),
    path("types/", setup.types, name="types"),
    path("types/<uuid:type_uuid>/", setup.type_edit, name="type_edit"),
    path("patients/<uuid:patient_uuid>/", patients.patient_week, name="patient"),
    path("patients/<uuid:patient_uuid>/feeds/", patients.patient_feed_new, name="patient_feed"),
    path("alerts/", patients.alerts, name="alerts"),
    path("notes/", notes.notes, name="notes"),
    path("notes/<uuid:note_uuid>/", notes.note_detail, name="note"),
    path("feeds/", feeds.my_feeds, name="my_feeds"),
    path("feeds/<uuid:feed_uuid>/revoke/", feeds.feed_revoke, name="feed_revoke"),
]

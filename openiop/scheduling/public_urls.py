from django.urls import path

from openiop.scheduling.views import feeds

app_name = "calendar"
urlpatterns = [
    path("calendar/<str:token>.ics", feeds.ics, name="ics"),
]

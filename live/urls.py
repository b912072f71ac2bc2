from django.urls import path

from live import views

app_name = "live"

urlpatterns = [
    path("streams/<slug:slug>/updates/", views.stream_updates, name="updates"),
    path("streams/<slug:slug>/events/", views.stream_events, name="events"),
]

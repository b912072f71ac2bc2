from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("settings/alerts/", views.follow_alerts, name="follow_alerts"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("people/<slug:handle>/", views.profile_detail, name="profile"),
]

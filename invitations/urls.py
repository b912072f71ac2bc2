from django.urls import path

from invitations import views

app_name = "invitations"

urlpatterns = [
    path("about/", views.about, name="about"),
    path("invitations/request/", views.request_invitation, name="request"),
    path("invitations/request/sent/", views.request_sent, name="request_sent"),
    path("invitations/accept/<str:token>/", views.accept, name="accept"),
    path("invitations/invalid/", views.invalid, name="invalid"),
]

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("people/<slug:handle>/", views.profile_detail, name="profile"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/export/", views.export_data, name="export"),
    path("settings/delete/", views.delete_account, name="delete"),
    path(
        "settings/api-tokens/<int:pk>/revoke/",
        views.api_token_revoke_view,
        name="api_token_revoke",
    ),
]

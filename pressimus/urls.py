from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from pressimus import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("invitations.urls")),
    path("", include("accounts.urls")),
    path("", include("streams.urls")),
]

handler404 = "pressimus.views.page_not_found"
handler500 = "pressimus.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

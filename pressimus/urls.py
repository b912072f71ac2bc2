from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from accounts.admin_mfa import admin_logout
from pressimus import views
from streams.sitemaps import SITEMAPS

# The admin signs in and out through allauth: its rate limits and its two-factor stage
# apply, and accounts.admin_mfa asks staff for two-factor before any admin page.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.logout = admin_logout

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("invitations.urls")),
    path("", include("accounts.urls")),
    path("", include("live.urls")),
    path("", include("streams.urls")),
    path("", include("notifications.urls")),
    path("", include("api.urls")),
]

handler403 = "pressimus.views.permission_denied"
handler404 = "pressimus.views.page_not_found"
handler500 = "pressimus.views.server_error"

if settings.DEBUG:
    from django.conf.urls.static import static

    # SecurityMiddleware sends nosniff with these too, so an upload is never sniffed as HTML.
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

from django.urls import URLPattern, path, re_path

from api import oembed
from api.http import api_view, not_found
from api.views import api

# django-ninja's own URL patterns, each wrapped by api_view (reader, rate limit, caching,
# CORS, JSON errors), then one catch-all so that no address under /api/ answers in HTML.
_patterns, _app_name, _namespace = api.urls
api_urls = (
    [
        *(
            URLPattern(
                pattern.pattern, api_view(pattern.callback), pattern.default_args, pattern.name
            )
            for pattern in _patterns
        ),
        re_path(r"^.*$", not_found, name="not_found"),
    ],
    _app_name,
    _namespace,
)

urlpatterns = [
    path("api/", api_urls),
    path("oembed/", oembed.oembed, name="oembed"),
]

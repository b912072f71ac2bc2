from django.urls import path

from streams import embed, feeds, views

app_name = "streams"

urlpatterns = [
    path("", views.home, name="home"),
    path("publishers/<slug:slug>/", views.publisher_detail, name="publisher"),
    path("publishers/<slug:slug>/feed/", feeds.publisher_feed, name="publisher_feed"),
    path("publishers/<slug:slug>/follow/", views.publisher_follow, name="publisher_follow"),
    path("streams/<slug:slug>/", views.stream_detail, name="stream"),
    path("streams/<slug:slug>/feed/", feeds.stream_feed, name="stream_feed"),
    path("streams/<slug:slug>/embed/", embed.stream_embed, name="embed"),
    path("streams/<slug:slug>/follow/", views.stream_follow, name="stream_follow"),
    path("streams/<slug:slug>/entries/<int:pk>/", views.entry_detail, name="entry"),
    path(
        "streams/<slug:slug>/entries/<int:pk>/changes/", views.entry_changes, name="entry_changes"
    ),
    path(
        "streams/<slug:slug>/entries/<int:pk>/preview/", views.entry_preview, name="entry_preview"
    ),
    path("streams/<slug:slug>/card.png", views.stream_card, name="stream_card"),
    path("streams/<slug:slug>/entries/<int:pk>/card.png", views.entry_card, name="entry_card"),
    path("sources/<slug:slug>/", views.source_detail, name="source"),
    path("sources/<slug:slug>/feed/", feeds.source_feed, name="source_feed"),
    path("search/", views.search, name="search"),
    path("streams/<slug:slug>/entries/<int:pk>/embed/", embed.entry_embed, name="entry_embed"),
]

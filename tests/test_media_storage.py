"""Uploads on S3-compatible object storage, as a deployment of several machines runs them.

The bucket is served by moto's S3 server on loopback: a real HTTP endpoint that speaks the S3
protocol, so boto3 and django-storages do exactly what they do against AWS or MinIO.
"""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from django.core.files.storage import default_storage
from PIL import Image
from pytest_django.asserts import assertContains

from accounts.models import Profile
from pressimus import middleware
from tests.test_security_headers import directives
from tests.test_settings import REAL_KEY, manage
from tests.test_view_settings import encoded, upload_avatar

BUCKET = "pressimus-media-test"
REGION = "us-east-1"
KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}


@pytest.fixture(scope="module")
def bucket(s3_endpoint):
    """The media bucket, on the S3 server's endpoint (which this returns)."""
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    s3.create_bucket(Bucket=BUCKET)
    # As .env.example asks of a real bucket: readers fetch the images straight from it.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_read))
    return s3_endpoint


@pytest.fixture
def s3_media(settings, bucket):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": bucket,
                "region_name": REGION,
                "querystring_auth": False,
                "default_acl": None,
                "file_overwrite": False,
                "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
                **KEYS,
            },
        },
    }
    middleware.media_origin.cache_clear()
    yield boto3.client(
        "s3",
        endpoint_url=bucket,
        region_name=REGION,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    middleware.media_origin.cache_clear()


def test_naming_a_bucket_puts_uploads_on_object_storage():
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))",
        SECRET_KEY=REAL_KEY,
        ALLOWED_HOSTS="news.example.org",
        AWS_STORAGE_BUCKET_NAME="news-media",
        AWS_S3_ENDPOINT_URL="https://minio.example.org",
        AWS_ACCESS_KEY_ID="",
        AWS_S3_CUSTOM_DOMAIN="",
    )

    assert result.returncode == 0, result.stderr
    storage = json.loads(result.stdout)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "news-media"
    assert storage["OPTIONS"]["endpoint_url"] == "https://minio.example.org"
    # Empty variables, as copied from .env.example, leave boto3 to find credentials itself.
    assert storage["OPTIONS"]["access_key"] is None
    assert storage["OPTIONS"]["custom_domain"] is None
    assert storage["OPTIONS"]["file_overwrite"] is False


def test_without_a_bucket_uploads_stay_on_this_machine():
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings; print(settings.STORAGES['default']['BACKEND'])",
        DEBUG="true",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.files.storage.FileSystemStorage"


def test_an_avatar_is_stored_in_the_bucket_and_shown_from_it(client_as, member, s3_media):
    client = client_as(member)

    upload_avatar(client, "me.png", encoded(Image.new("RGB", (300, 300), "red"), "PNG"))

    profile = Profile.objects.get(user=member)
    stored = s3_media.head_object(Bucket=BUCKET, Key=profile.avatar.name)
    assert stored["ContentType"] == "image/webp"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"
    assert profile.avatar.url.startswith(f"{default_storage.endpoint_url}/{BUCKET}/")
    assertContains(client.get("/people/mia/"), f'src="{profile.avatar.url}"')
    with urllib.request.urlopen(profile.avatar.url) as served:
        assert Image.open(served).size == (256, 256)


def test_the_content_security_policy_allows_images_from_the_bucket(client, db, s3_media):
    policy = directives(client.get("/"))
    origin = default_storage.endpoint_url
    assert policy["img-src"] == f"'self' data: {origin}"
    assert policy["media-src"] == f"'self' https: {origin}"
    assert origin not in policy["script-src"]


def test_the_same_name_uploaded_twice_keeps_both_files(s3_media):
    from django.core.files.base import ContentFile

    first = default_storage.save("entries/photo.webp", ContentFile(b"first"))
    second = default_storage.save("entries/photo.webp", ContentFile(b"second"))

    assert first != second
    assert default_storage.open(first).read() == b"first"
    assert default_storage.open(second).read() == b"second"


def test_with_files_on_this_machine_the_policy_names_no_other_origin(client, db):
    middleware.media_origin.cache_clear()

    policy = directives(client.get("/"))

    assert policy["img-src"] == "'self' data:"
    assert policy["media-src"] == "'self' https:"

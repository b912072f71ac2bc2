"""docker-compose.yml and the proxy it runs: the production shape PRODUCT.md promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
NGINX = (ROOT / "deploy" / "nginx" / "pressimus.conf.template").read_text()
PUSH = (ROOT / "deploy" / "nginx" / "push.conf.template").read_text()
ENTRYPOINT = (ROOT / "deploy" / "nginx" / "entrypoint.sh").read_text()


def test_every_variable_the_web_replicas_get_is_documented_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z_0-9]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert set(SERVICES["web"]["environment"]) - documented == set()


def test_web_replicas_sit_behind_the_proxy_and_never_migrate_themselves():
    assert SERVICES["web"]["deploy"]["replicas"] >= 2
    assert "ports" not in SERVICES["web"]
    assert "migrate" not in " ".join(SERVICES["web"]["command"])
    assert SERVICES["web"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert SERVICES["proxy"]["ports"] == ["127.0.0.1:8000:8080"]


def test_state_lives_in_shared_services_not_in_a_web_replica():
    environment = SERVICES["web"]["environment"]

    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["CACHE_URL"].startswith("redis://redis:")
    assert environment["AWS_STORAGE_BUCKET_NAME"] == "pressimus-media"
    assert "volumes" not in SERVICES["web"]


def test_the_proxy_count_matches_the_one_proxy_in_front():
    assert SERVICES["web"]["environment"]["ALLAUTH_TRUSTED_PROXY_COUNT"] == "1"
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in NGINX
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in NGINX


def test_the_proxy_caps_request_bodies_a_little_over_the_image_limit():
    assert re.search(r"client_max_body_size 12m;", NGINX)


def test_uploads_are_served_read_only_never_interpreted():
    media = NGINX[NGINX.index("location /media/") :]
    media = media[: media.index("}", media.index("limit_except") + 40)]

    assert "limit_except GET HEAD { deny all; }" in media
    assert "X-Content-Type-Options nosniff" in NGINX
    assert "sandbox" in NGINX


def test_every_service_that_others_wait_for_has_a_health_check():
    waited_for = {
        name
        for service in SERVICES.values()
        for name, condition in service.get("depends_on", {}).items()
        if condition["condition"] == "service_healthy"
    }

    assert waited_for == {"db", "redis", "queue", "minio", "web"}
    assert all("healthcheck" in SERVICES[name] for name in waited_for - {"web"})
    # The web image declares its own HEALTHCHECK on /healthz.
    assert "HEALTHCHECK" in (ROOT / "Dockerfile").read_text()


def test_the_proxy_finds_replicas_added_or_recreated_after_it_started():
    proxy = SERVICES["proxy"]
    # Debian's nginx (1.22, with Nchan): its upstream reads "web" once, so the entrypoint
    # watches the name and reloads nginx when the replicas' addresses change.
    assert proxy["build"] == "deploy/nginx"
    assert "server web:8000" in proxy["environment"]["PRESSIMUS_WEB_SERVERS"]
    assert proxy["environment"]["PRESSIMUS_WATCH_HOST"] == "web"
    assert "getent ahostsv4" in ENTRYPOINT
    assert "-s reload" in ENTRYPOINT


def _role(name: str) -> str:
    """The part of entrypoint.sh that renders one role's template."""
    case = ENTRYPOINT[ENTRYPOINT.index('case "$role" in') :]
    return case[case.index(f"    {name})") : case.index(";;", case.index(f"    {name})"))]


@pytest.mark.parametrize(
    ("service", "role", "template"), [("proxy", "edge", NGINX), ("push", "push", PUSH)]
)
def test_each_nginx_is_configured_by_the_files_it_mounts_and_nothing_else(service, role, template):
    environment = SERVICES[service]["environment"]
    assert "./deploy/nginx:/etc/pressimus-nginx:ro" in SERVICES[service]["volumes"]
    assert SERVICES[service]["build"] == "deploy/nginx"
    assert environment.get("PRESSIMUS_ROLE", "edge") == role
    # Every name the template leaves to the environment is given, and only those are filled.
    wanted = set(re.findall(r"\$\{(PRESSIMUS_[A-Z_]+)\}", template))
    filled = set(re.findall(r"\$\{(PRESSIMUS_[A-Z_]+)\}", _role(role).split("names=", 1)[1]))
    assert wanted == filled
    assert wanted <= set(environment)
    # Both find replicas added or recreated after they started (see above).
    assert environment["PRESSIMUS_WATCH_HOST"] == "web"


def test_the_web_replicas_publish_to_the_push_engine_on_its_own_port():
    assert SERVICES["web"]["environment"]["PUSH_URL"] == "http://push:8081"
    assert SERVICES["push"]["environment"]["PRESSIMUS_PUBLISH_LISTEN"] == "8081"
    # Only the readers' port is published to the host: nobody outside publishes.
    assert SERVICES["push"]["ports"] == ["127.0.0.1:8001:8080"]
    assert "nchan_publisher" not in NGINX


def test_readers_listen_on_the_push_engines_own_port_of_the_sites_host():
    """The edge's workers never write the announcements: the pages' EventSource connects to
    the push service, whose origin the web replicas name in data-events-url; and only the
    site's pages may listen there."""
    assert SERVICES["web"]["environment"]["PUSH_EVENTS_ORIGIN"].endswith("-http://localhost:8001}")
    assert "nchan_subscriber" not in NGINX
    assert "nchan_subscriber eventsource;" in PUSH
    assert 'nchan_access_control_allow_origin "${PRESSIMUS_SITE_ORIGIN}";' in PUSH
    assert SERVICES["push"]["environment"]["PRESSIMUS_SITE_ORIGIN"].endswith(
        "-http://localhost:8000}"
    )


def test_the_edge_runs_ahead_of_everything_it_shares_a_host_with():
    """entrypoint.sh raises the edge's workers' priority, and only theirs: the web processes'
    pages and the push engine's fan-out both wait for a cached answer. In the container that
    takes CAP_SYS_NICE, without which nginx would log an alert at every start and run at the
    usual priority."""
    edge, push = (int(re.search(r"priority=(-?\d+)", _role(r))[1]) for r in ("edge", "push"))
    assert edge < 0 and push == 0
    assert "worker_priority $priority;" in ENTRYPOINT
    assert "SYS_NICE" in SERVICES["proxy"]["cap_add"]
    assert "cap_add" not in SERVICES["push"]


def test_one_edge_worker_refreshes_each_expired_answer_and_the_fan_out_takes_every_core():
    assert "worker_processes ${PRESSIMUS_WORKER_PROCESSES:-$workers};" in ENTRYPOINT
    assert "workers=1" in _role("edge")
    assert "workers=auto" in _role("push")
    # Not also in nginx.conf, where nginx would refuse it twice.
    conf = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    assert re.search(r"^\s*worker_processes", conf, re.MULTILINE) is None


def test_the_edge_keeps_djangos_header_filler_from_readers():
    assert "proxy_hide_header X-Header-Pad;" in NGINX

#!/bin/sh
# Start an nginx of the proxy: fill the PRESSIMUS_* names into its template (and nothing else:
# nginx's own $variables stay as they are), then run nginx in the foreground until stopped.
# docker-compose.yml's proxy and push images run it, and so does `make stack` (deploy/stack.py).
#
#   PRESSIMUS_ROLE            "edge" (the default: pressimus.conf.template, the edge cache in
#                             front of the web processes) or "push" (push.conf.template, the
#                             push engine that holds the readers' Server-Sent Events)
#   PRESSIMUS_LISTEN          the readers' listen directive(s), e.g. "listen 8080;"
#   PRESSIMUS_WEB_SERVERS     the upstream's server lines, e.g. "server web:8000 max_fails=0;"
#   PRESSIMUS_NGINX_DIR       nginx's prefix: the rendered configuration, pid, temporary files
#   PRESSIMUS_WATCH_HOST      optional: a DNS name (docker-compose's "web") whose addresses are
#                             checked every 10 s; nginx reloads when replicas come or go
#   PRESSIMUS_WORKER_PROCESSES  optional: nginx's worker_processes instead of the role's own
#                             (the edge: 1, the push engine: auto, one per core)
#   PRESSIMUS_NGINX_USER      optional: the user nginx's workers run as (nginx's default: nobody)
# the edge's:
#   PRESSIMUS_MEDIA_SOURCE    how /media/ is served, e.g. "alias /data/media/;"
#   PRESSIMUS_CACHE_DIR       the edge cache's directory
#   PRESSIMUS_REFRESH_LISTEN  the refresh port's listen directive, for the web processes only
#                             (EDGE_REFRESH_URL), e.g. "listen 8082;"
# the push engine's:
#   PRESSIMUS_PUBLISH_LISTEN  where the web processes publish (PUSH_URL), e.g. "8081"
#   PRESSIMUS_SITE_ORIGIN     the only origin whose pages may listen, e.g. "https://example.org"
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PRESSIMUS_NGINX_DIR:-/var/lib/pressimus-nginx}
role=${PRESSIMUS_ROLE:-edge}
# The edge's workers run ahead of everything else on the host: a cached answer never waits behind
# a page Django is rendering, nor behind an announcement the push engine is writing to thousands
# of connections at once. The push engine's run at the usual priority, beside the web processes
# (`make loadtest MODE=stack` on 2 cores, 60 s: poll p99 23 ms, publish -> every push reader's
# connection p99 0.4 s).
# Needs CAP_SYS_NICE (the compose file grants the proxy it); without it nginx logs an alert and
# runs at the usual priority.
# One worker for the edge: two refreshed the same expired answer now and then (each reads the
# cached copy's age before taking the cache's lock, and one can read it just before the other
# has replaced it), and Django was asked twice for one URL (1 URL in a 60 s run). One worker
# answers 20 000 polls/s with 36 % of a core; a host with more to answer sets
# PRESSIMUS_WORKER_PROCESSES. The push engine's fan-out spreads over every core.
# shellcheck disable=SC2016 # the names are for envsubst, not for this shell
case "$role" in
    edge)
        template=pressimus.conf.template
        names='${PRESSIMUS_LISTEN} ${PRESSIMUS_WEB_SERVERS} ${PRESSIMUS_MEDIA_SOURCE} ${PRESSIMUS_CACHE_DIR} ${PRESSIMUS_REFRESH_LISTEN}'
        priority=-10
        workers=1
        ;;
    push)
        template=push.conf.template
        names='${PRESSIMUS_LISTEN} ${PRESSIMUS_WEB_SERVERS} ${PRESSIMUS_PUBLISH_LISTEN} ${PRESSIMUS_SITE_ORIGIN}'
        priority=0
        workers=auto
        ;;
    *)
        echo "proxy: PRESSIMUS_ROLE must be edge or push, not \"$role\"" >&2
        exit 64
        ;;
esac
# A name left out would be rendered empty, and nginx would fail on a line far from the cause.
for name in $(echo "$names" | tr -d '${}'); do
    if [ -z "$(printenv "$name" || true)" ]; then
        echo "proxy ($role): $name is not set" >&2
        exit 64
    fi
done
# An origin has no path: "https://example.org/" (a SITE_URL) would match no page's Origin.
if [ -n "${PRESSIMUS_SITE_ORIGIN:-}" ]; then
    export PRESSIMUS_SITE_ORIGIN="${PRESSIMUS_SITE_ORIGIN%/}"
fi
mkdir -p "$prefix/temp"
if [ "$role" = edge ]; then
    mkdir -p "$PRESSIMUS_CACHE_DIR"
fi
envsubst "$names" < "$here/$template" > "$prefix/pressimus.conf"
cp "$here/nginx.conf" "$prefix/nginx.conf"

# The role's main directives, given with -g: nginx keeps only the last -g of its command line,
# so they all go in one.
main="worker_priority $priority; worker_processes ${PRESSIMUS_WORKER_PROCESSES:-$workers};"
if [ -n "${PRESSIMUS_NGINX_USER:-}" ]; then
    main="$main user $PRESSIMUS_NGINX_USER;"
fi
nginx_cmd() {
    nginx -p "$prefix/" -c "$prefix/nginx.conf" -e stderr "$@"
}

nginx_cmd -g "$main" -t -q
# A reload keeps them: nginx's master reads its configuration again with its own -g.
nginx_cmd -g "$main daemon off;" &
nginx_pid=$!
# TERM (docker stop): nginx's fast shutdown. Its graceful one (QUIT) waits for every open
# connection to end, and the push readers' never do; dropped, they reconnect and catch up.
trap 'kill -TERM "$nginx_pid" 2>/dev/null' TERM INT
trap 'kill -QUIT "$nginx_pid" 2>/dev/null' QUIT

addresses() {
    getent ahostsv4 "$PRESSIMUS_WATCH_HOST" 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' '
}

if [ -n "${PRESSIMUS_WATCH_HOST:-}" ]; then
    # nginx reads a name's addresses when it starts (its "resolve" needs 1.27.3; Debian 12 has
    # 1.22): a replica added, removed or recreated is picked up by a reload, which lets the
    # requests in flight finish.
    known=$(addresses)
    while kill -0 "$nginx_pid" 2>/dev/null; do
        sleep 10 &
        wait $! || true
        current=$(addresses)
        if [ -n "$current" ] && [ "$current" != "$known" ]; then
            echo "proxy: $PRESSIMUS_WATCH_HOST is now at $current; reloading" >&2
            known=$current
            nginx_cmd -s reload || true
        fi
    done
fi
wait "$nginx_pid"

#!/bin/sh
# Start the proxy: fill the PRESSIMUS_* names into pressimus.conf.template (and nothing else:
# nginx's own $variables stay as they are), then run nginx in the foreground until stopped.
# docker-compose.yml's proxy image runs it, and so does `make stack` (deploy/stack.py).
#
#   PRESSIMUS_LISTEN          the readers' listen directive(s), e.g. "listen 8080;"
#   PRESSIMUS_WEB_SERVERS     the upstream's server lines, e.g. "server web:8000 max_fails=0;"
#   PRESSIMUS_PUBLISH_LISTEN  where the web processes publish (PUSH_URL), e.g. "8081"
#   PRESSIMUS_MEDIA_SOURCE    how /media/ is served, e.g. "alias /data/media/;"
#   PRESSIMUS_CACHE_DIR       the edge cache's directory
#   PRESSIMUS_NGINX_DIR       nginx's prefix: the rendered configuration, pid, temporary files
#   PRESSIMUS_WATCH_HOST      optional: a DNS name (docker-compose's "web") whose addresses are
#                             checked every 10 s; nginx reloads when replicas come or go
set -eu

here=$(cd "$(dirname "$0")" && pwd)
prefix=${PRESSIMUS_NGINX_DIR:-/var/lib/pressimus-nginx}
mkdir -p "$prefix/temp" "$PRESSIMUS_CACHE_DIR"
# shellcheck disable=SC2016 # the names are for envsubst, not for this shell
names='${PRESSIMUS_LISTEN} ${PRESSIMUS_WEB_SERVERS} ${PRESSIMUS_PUBLISH_LISTEN} ${PRESSIMUS_MEDIA_SOURCE} ${PRESSIMUS_CACHE_DIR}'
envsubst "$names" < "$here/pressimus.conf.template" > "$prefix/pressimus.conf"
cp "$here/nginx.conf" "$prefix/nginx.conf"

nginx_cmd() {
    nginx -p "$prefix/" -c "$prefix/nginx.conf" -e stderr "$@"
}

nginx_cmd -t -q
nginx_cmd -g "daemon off;" &
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

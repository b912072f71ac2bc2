# syntax=docker/dockerfile:1
# Pressimus web image: gunicorn serving Django, static files by WhiteNoise.
#   docker build -t pressimus .
#   docker run -e SECRET_KEY=... -e ALLOWED_HOSTS=... -e DATABASE_URL=... -p 8000:8000 pressimus

# Builder and runtime must share one Python image: the venv's interpreter is a link into it.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml ./
# Only the dependencies go into the venv, read from pyproject.toml, in a layer of their own so
# that a code change does not reinstall them. The project itself runs from /app: settings find
# templates/ and static/ beside the packages, which an installed wheel would not carry.
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep=chr(10))" > requirements.txt \
 && /opt/venv/bin/pip install -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8000 \
    MEDIA_ROOT=/data/media
# libfribidi0: Pillow finds it at run time to lay out right-to-left titles on social cards.
# pg_dump and pg_restore for manage.py backup and restore. pg_dump refuses a server newer than
# itself: Debian 13 (trixie, under python:3.11-slim) ships 17, which dumps docker-compose.yml's
# PostgreSQL 16; a base image with an older client (Debian 12 has 15) fails the build here.
RUN apt-get update \
 && apt-get install --yes --no-install-recommends postgresql-client libfribidi0 \
 && rm -rf /var/lib/apt/lists/* \
 && pg_major="$(pg_dump --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')" \
 && if [ "$pg_major" -lt 16 ]; then \
        echo "postgresql-client $pg_major cannot dump PostgreSQL 16: use a newer base image" >&2; \
        exit 1; \
    fi
RUN groupadd --system --gid 10001 pressimus \
 && useradd --system --uid 10001 --gid pressimus --create-home --home-dir /home/pressimus \
        --shell /usr/sbin/nologin pressimus
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# Code stays owned by root: the web process can read it but never rewrite it.
COPY . .
# Settings refuse to start without a real SECRET_KEY when DEBUG is off; this throwaway one
# exists for this RUN line only and never reaches the running image's environment.
# The media directory is created here so a fresh named volume inherits its owner.
RUN SECRET_KEY=build-only-collectstatic-key-never-used-to-sign-anything-0123456789 \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --no-input --verbosity 0 \
 && mkdir -p /data/media \
 && chown pressimus:pressimus /data/media

USER pressimus
EXPOSE 8000

# /healthz answers 200 only when this process reaches its database and cache.
# It is asked for as an allowed host over "https" (the proxy header) so neither ALLOWED_HOSTS
# nor SECURE_SSL_REDIRECT turns a healthy site into a 400 or a redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import http.client, os; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = h if h not in ('', '*') else 'localhost'; c = http.client.HTTPConnection('127.0.0.1', int(os.environ.get('PORT', '8000')), timeout=4); c.request('GET', '/healthz', headers={'Host': h, 'X-Forwarded-Proto': 'https'}); raise SystemExit(c.getresponse().status != 200)"]

# exec hands PID 1 to gunicorn so it receives the stop signal and shuts down gracefully.
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn -c gunicorn.conf.py pressimus.wsgi"]

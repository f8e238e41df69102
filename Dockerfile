# syntax=docker/dockerfile:1
# The signaling service's image, for docker-compose.yml. The builder stage makes the same
# wheelhouse `make deploy` makes (build_wheelhouse.py: binary wheels pinned by
# constraints.txt, plus the visavis wheel); the final stage installs from it with no package
# index and no compiler, through compose/install_signaling.py, the install step tests/compose
# runs on the deploy's own wheelhouse. It runs as an unprivileged user and speaks plain HTTP
# on the compose network: nginx terminates TLS.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim-bookworm AS builder
ARG EXTRAS=speed
WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY signaling/ signaling/
COPY infra/ansible/roles/signaling/files/build_wheelhouse.py /build/build_wheelhouse.py
RUN mkdir /wheelhouse \
 && python /build/build_wheelhouse.py --project /src --cache /wheelhouse \
      --python-version "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
      --machine "$(uname -m)" --extras "$EXTRAS" > /build/wheels.json \
 && cat /build/wheels.json

FROM python:${PYTHON_VERSION}-slim-bookworm
ARG EXTRAS=speed
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/visavis/venv/bin:$PATH \
    VISAVIS_HOST=0.0.0.0 \
    VISAVIS_PORT=8000 \
    VISAVIS_FRONTEND_DIR=/opt/visavis/frontend
COPY --from=builder /wheelhouse /wheelhouse
COPY --from=builder /build/wheels.json /wheelhouse/wheels.json
COPY compose/install_signaling.py /usr/local/lib/visavis/install_signaling.py
RUN python /usr/local/lib/visavis/install_signaling.py /wheelhouse/wheels.json /opt/visavis/venv \
      --extras "$EXTRAS" \
 && rm -rf /wheelhouse \
 && groupadd --system --gid 10001 visavis \
 && useradd --system --uid 10001 --gid visavis --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin visavis \
 && install -d -o visavis -g visavis -m 0700 /var/lib/visavis
COPY frontend/ /opt/visavis/frontend/
USER visavis:visavis
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('VISAVIS_PORT', '8000'), timeout=4)"]
CMD ["python", "-m", "signaling"]

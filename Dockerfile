# syntax=docker/dockerfile:1
# The supplygraph gateway. Build:   docker build -t supplygraph .
# With OpenTelemetry export:        docker build --build-arg EXTRAS="[otel]" -t supplygraph .
# Run:  docker run -p 8000:8000 -e GATEWAY_CRM_URL=… -e GATEWAY_JWT_SECRET=… supplygraph
# (no GATEWAY_*_URL set: the image starts its built-in demo systems, as `supplygraph serve` does)

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, so that a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir core gateway schema resolvers cache simulators \
    && touch core/__init__.py gateway/__init__.py schema/__init__.py resolvers/__init__.py cache/__init__.py simulators/__init__.py \
    && pip install . && pip uninstall -y supplygraph
COPY core core
COPY gateway gateway
COPY schema schema
COPY resolvers resolvers
COPY cache cache
COPY simulators simulators
ARG EXTRAS=""
RUN pip install ".${EXTRAS}"

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin supplygraph
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001
WORKDIR /home/supplygraph
EXPOSE 8000
# The slim image has no curl: Python asks /healthz (liveness: the process serves HTTP).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["supplygraph", "serve", "--host", "0.0.0.0", "--port", "8000"]

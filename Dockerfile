# egain-provision as a container image, for GitLab CI and any other CI that runs jobs in images.
#
#   docker build -t egain-provision:0.1.0 .
#   docker run --rm -v "$PWD:/work" -e EGAIN_VAR_BOT_TOKEN_PAYLOAD egain-provision:0.1.0 validate manifests
#
# Stage 1 builds the wheel from this checkout; stage 2 is a slim Python with only that wheel and its
# dependencies installed, run as an unprivileged user. The manifests come in as a volume (or a CI
# job's checkout) at /work; credentials come in as environment variables, never as build arguments.

FROM python:3.12-slim AS build
WORKDIR /src
RUN python -m pip install --no-cache-dir --disable-pip-version-check "build>=1.2"
COPY . .
RUN python -m build --wheel --outdir /dist .

FROM python:3.12-slim
# No .pyc written at run time (the user cannot write site-packages), output unbuffered for CI logs.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY --from=build /dist/*.whl /tmp/
RUN python -m pip install --no-cache-dir --disable-pip-version-check /tmp/*.whl \
    && rm /tmp/*.whl \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin egain \
    && install -d -o egain -g egain /work
# Numeric, so Kubernetes' runAsNonRoot can verify it without /etc/passwd (hadolint DL3066).
USER 10001
WORKDIR /work
ENTRYPOINT ["egain-provision"]
CMD ["--help"]

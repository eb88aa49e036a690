# One stage, as single-stage.Dockerfile, with pip's cache as a BuildKit cache mount instead of
# --no-cache-dir: the cache lives outside the image (the layer stays clean) and is kept between
# builds on the same engine, so a rebuild after a requirements change downloads only what is new.
# Needs BuildKit (DOCKER_BUILDKIT=1, the default of docker build since Docker 23.0); no
# `# syntax=` line is needed: the engine's built-in Dockerfile frontend knows RUN --mount.
# Build args (shrinkbench sets them; pass them yourself with --build-arg when you build by hand):
#   BASE_IMAGE      the base image, e.g. python:3.11-slim
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX   where pip finds packages
#   CLEANUP         "none", or "talk" to delete the talk's file patterns in the same layer
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST
ARG PIP_NO_INDEX
ARG CLEANUP=none
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
WORKDIR /app
COPY requirements.txt constraints.txt /tmp/shrinkbench/
COPY scripts/ /tmp/shrinkbench/scripts/
# Requirements before application code, so that changing the code does not reinstall them.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --user --progress-bar off -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt \
 && sh /tmp/shrinkbench/scripts/cleanup.sh "$CLEANUP" /root/.local
COPY app/ /app/

# One stage: install the requirements on top of the base image.
# Build args (shrinkbench sets them; pass them yourself with --build-arg when you build by hand):
#   BASE_IMAGE      the base image, e.g. python:3.11-slim
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX   where pip finds packages
#   NO_CACHE        "1" to install with --no-cache-dir (pip's download cache stays out of the image)
#   CLEANUP         "none", or "talk" to delete the talk's file patterns in the same layer
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST
ARG PIP_NO_INDEX
ARG NO_CACHE=0
ARG CLEANUP=none
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
WORKDIR /app
COPY requirements.txt constraints.txt /tmp/shrinkbench/
COPY scripts/ /tmp/shrinkbench/scripts/
# Requirements before application code, so that changing the code does not reinstall them.
# The talk's rungs before "one layer" keep pip's download cache: that is what they show.
# hadolint ignore=DL3042
RUN if [ "$NO_CACHE" = 1 ]; then set -- --no-cache-dir; fi \
 && pip install --user --progress-bar off "$@" -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt \
 && sh /tmp/shrinkbench/scripts/cleanup.sh "$CLEANUP" /root/.local
COPY app/ /app/

# The talk's "cleanup in later layers": pip keeps its cache, then every cleanup runs in a
# RUN of its own. Each deletion only hides files in a new layer: the image does not shrink.
# Build args: BASE_IMAGE and the PIP_* index args, as in single-stage.Dockerfile.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST
ARG PIP_NO_INDEX
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
WORKDIR /app
COPY requirements.txt constraints.txt /tmp/shrinkbench/
# The talk's rungs before "one layer" keep pip's download cache: that is what they show.
# hadolint ignore=DL3042
RUN pip install --user --progress-bar off -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt
RUN rm -rf /root/.cache/pip
RUN find /root/.local/ -follow -type f -name '*.a' -delete
RUN find /root/.local/ -follow -type f -name '*.txt' -delete
RUN find /root/.local/ -follow -type f -name '*.md' -delete
RUN find /root/.local/ -follow -type f -name '*.png' -delete
RUN find /root/.local/ -follow -type f -name '*.jpg' -delete
RUN find /root/.local/ -follow -type f -name '*.jpeg' -delete
RUN find /root/.local/ -follow -type f -name '*.js.map' -delete
RUN find /root/.local/ -follow -type f -name '*.pyc' -delete
RUN find /root/.local/ -follow -type f -name '*.c' -delete
RUN find /root/.local/ -follow -type f -name '*.pxd' -delete
RUN find /root/.local/ -follow -type f -name '*.pyd' -delete
RUN find /root/.local/ -name '__pycache__' -type d -prune -exec rm -rf {} +
COPY app/ /app/

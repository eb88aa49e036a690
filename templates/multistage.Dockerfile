# Two stages: install (or build wheels and install from them) in a builder that has the
# compilers and -dev libraries, then copy only the installed packages into a clean base.
# Build args:
#   BUILDER_IMAGE   the builder stage's base, e.g. python:3.11
#   BASE_IMAGE      the final stage's base, e.g. python:3.11-slim
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX   where pip finds packages
#   INSTALL         "pip": pip install straight from the index;
#                   "wheel": pip wheel into /wheels first, then install with --no-index from there
#   CLEANUP         "none", or "talk" to delete the talk's file patterns
#   STRIP           "1" to strip the extension modules (never the vendored *.libs, see docs)
#   DEDUPE          "1" to store byte-identical shared libraries once (symlinks)
#   PRUNE           "1" to remove what a running program never reads (scripts/prune.py: tests,
#                   C/Cython sources and headers, type stubs, docs), keeping whatever the smoke
#                   test (smoke/ in the context) uses
#   PYC             bytecode policy with PRUNE=1: keep (pip's .pyc), none (sources only) or
#                   only (.pyc only, sources removed)
ARG BUILDER_IMAGE=python:3.11
ARG BASE_IMAGE=python:3.11-slim
FROM ${BUILDER_IMAGE} AS builder
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST
ARG PIP_NO_INDEX
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
ARG INSTALL=pip
ARG CLEANUP=none
ARG STRIP=0
ARG DEDUPE=0
ARG PRUNE=0
ARG PYC=keep
COPY requirements.txt constraints.txt /tmp/shrinkbench/
COPY scripts/ /tmp/shrinkbench/scripts/
COPY smoke/ /tmp/shrinkbench/smoke/
RUN sh /tmp/shrinkbench/scripts/install.sh "$INSTALL" /tmp/shrinkbench/requirements.txt /tmp/shrinkbench/constraints.txt \
 && sh /tmp/shrinkbench/scripts/cleanup.sh "$CLEANUP" /root/.local \
 && if [ "$PRUNE" = 1 ]; then \
      python3 /tmp/shrinkbench/scripts/trace_files.py /tmp/shrinkbench/used.txt /tmp/shrinkbench/smoke --allow-fail \
      && python3 /tmp/shrinkbench/scripts/prune.py /root/.local --pyc "$PYC" --keep /tmp/shrinkbench/used.txt; \
    fi \
 && if [ "$STRIP" = 1 ]; then sh /tmp/shrinkbench/scripts/strip.sh /root/.local; fi \
 && if [ "$DEDUPE" = 1 ]; then python /tmp/shrinkbench/scripts/dedupe.py /root/.local; fi

FROM ${BASE_IMAGE}
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY app/ /app/

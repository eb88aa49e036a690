# A final stage that is not a distribution: FROM scratch, holding only what the interpreter and
# the installed packages need. No shell, no package manager.
#
# Three stages:
#   builder  (BUILDER_IMAGE, with compilers) installs the requirements into /root/.local, prunes
#            what a running program never reads (scripts/prune.py, with the bytecode policy PYC),
#            strips the extension modules and stores identical shared libraries once;
#   rootfs   (BASE_IMAGE, the runtime the packages will run on) assembles /rootfs with
#            scripts/rootfs.py:
#              ROOTFS=minimal  the interpreter, the standard library without its tests, idlelib,
#                              tkinter and ensurepip, site-packages, and the shared libraries all
#                              of them need (their closure, found with the dynamic loader);
#              ROOTFS=traced   only the files the smoke test used (scripts/trace_files.py: audit
#                              hooks on open and import, /proc/self/maps at exit) and the
#                              interpreter's closure. Only as safe as the test's coverage;
#   final    FROM scratch, /rootfs copied in one layer.
# Build args:
#   BUILDER_IMAGE, BASE_IMAGE   e.g. python:3.11 and python:3.11-slim (same interpreter)
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST   where pip finds packages
#   INSTALL   "pip" or "wheel" (see multistage.Dockerfile)
#   PYC       bytecode policy: keep, none or only (see scripts/prune.py)
#   STRIP     "1" to strip the extension modules (never the vendored *.libs)
#   DEDUPE    "1" to store byte-identical shared libraries once
#   ROOTFS    minimal or traced
#   BYTECODE_ZIP  "1" to store pure-Python bytecode compressed: the standard library in the
#             pythonXY.zip the interpreter already lists on sys.path, pure-Python packages in a zip
#             a .pth file adds (no extension modules, no data files, nothing that reads __file__)
# The context's smoke/ folder holds the smoke test (shrinkbench puts it there; see BUILD.md).
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
ARG INSTALL=wheel
ARG PYC=keep
ARG STRIP=1
ARG DEDUPE=1
COPY requirements.txt constraints.txt /tmp/shrinkbench/
COPY scripts/ /tmp/shrinkbench/scripts/
COPY smoke/ /tmp/shrinkbench/smoke/
RUN sh /tmp/shrinkbench/scripts/install.sh "$INSTALL" /tmp/shrinkbench/requirements.txt /tmp/shrinkbench/constraints.txt \
 && python3 /tmp/shrinkbench/scripts/trace_files.py /tmp/shrinkbench/used.txt /tmp/shrinkbench/smoke --allow-fail \
 && python3 /tmp/shrinkbench/scripts/prune.py /root/.local --pyc "$PYC" --keep /tmp/shrinkbench/used.txt \
 && if [ "$STRIP" = 1 ]; then sh /tmp/shrinkbench/scripts/strip.sh /root/.local; fi \
 && if [ "$DEDUPE" = 1 ]; then python3 /tmp/shrinkbench/scripts/dedupe.py /root/.local; fi

FROM ${BASE_IMAGE} AS rootfs
ARG ROOTFS=minimal
ARG BYTECODE_ZIP=0
COPY --from=builder /root/.local /root/.local
COPY scripts/ /tmp/shrinkbench/scripts/
COPY smoke/ /tmp/shrinkbench/smoke/
# /app is made here, not by WORKDIR below: WORKDIR would stamp it with the build's time, and
# rootfs.py gives everything in /rootfs one fixed time (two builds, the same layers).
RUN mkdir -p /rootfs/app \
 && if [ "$BYTECODE_ZIP" = 1 ]; then set -- --zip; fi \
 && if [ "$ROOTFS" = traced ]; then \
      python3 /tmp/shrinkbench/scripts/trace_files.py /tmp/shrinkbench/used.txt /tmp/shrinkbench/smoke \
      && python3 /tmp/shrinkbench/scripts/rootfs.py /rootfs --traced /tmp/shrinkbench/used.txt "$@"; \
    else \
      python3 /tmp/shrinkbench/scripts/rootfs.py /rootfs --minimal "$@"; \
    fi

FROM scratch
COPY --from=rootfs /rootfs/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    HOME=/root
WORKDIR /app
COPY app/ /app/

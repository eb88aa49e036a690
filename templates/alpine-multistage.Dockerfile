# The talk's later alpine rungs: build in an alpine stage that has the compilers, copy only
# the installed packages (and the runtime libraries they link) into a clean alpine stage.
# musllinux wheels are used where they exist (numpy, scipy, pandas, matplotlib); the rest
# (scikit-learn) is compiled from source.
# Build args:
#   BUILDER_IMAGE, BASE_IMAGE   e.g. python:3.11-alpine for both
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX
#   APK_BUILD_DEPS    compilers and -dev packages for the builder
#   APK_RUNTIME_DEPS  shared libraries the final stage needs when wheels are not repaired
#   INSTALL           "pip" (install straight away) or "wheel" (pip wheel + auditwheel repair,
#                     then install from the repaired wheelhouse with --no-index)
#   SIZE_CFLAGS       compiler flags for source builds, e.g. "-g0 -Os -DNDEBUG -Wl,--strip-all"
#   DEDUPE            "1" to store byte-identical shared libraries once
ARG BUILDER_IMAGE=python:3.11-alpine
ARG BASE_IMAGE=python:3.11-alpine
FROM ${BUILDER_IMAGE} AS builder
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST
ARG PIP_NO_INDEX
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
ARG APK_BUILD_DEPS="gcc g++ gfortran musl-dev build-base linux-headers openblas-dev freetype-dev libpng-dev patchelf"
ARG INSTALL=pip
ARG SIZE_CFLAGS=""
ARG DEDUPE=0
RUN apk add --no-cache $APK_BUILD_DEPS
COPY requirements.txt constraints.txt /tmp/shrinkbench/
COPY scripts/ /tmp/shrinkbench/scripts/
RUN export CFLAGS="$SIZE_CFLAGS" CXXFLAGS="$SIZE_CFLAGS" \
 && if [ "$INSTALL" = wheel ]; then \
      pip install --no-cache-dir auditwheel \
      && pip wheel --no-cache-dir -w /wheels -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt \
      && for w in /wheels/*-linux_*.whl; do [ -e "$w" ] || continue; auditwheel repair -w /wheels "$w" && rm "$w"; done \
      && pip install --user --no-index --find-links /wheels -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt; \
    else \
      pip install --user --no-cache-dir -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt; \
    fi \
 && if [ "$DEDUPE" = 1 ]; then python /tmp/shrinkbench/scripts/dedupe.py /root/.local; fi

FROM ${BASE_IMAGE}
ARG APK_RUNTIME_DEPS="openblas freetype libpng libstdc++ libgfortran"
RUN if [ -n "$APK_RUNTIME_DEPS" ]; then apk add --no-cache $APK_RUNTIME_DEPS; fi
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY app/ /app/

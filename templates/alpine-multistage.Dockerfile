# The talk's later alpine rungs: build in an alpine stage that has the compilers, copy only the
# installed packages into a clean alpine stage.
# musllinux wheels are taken where they exist (numpy, scipy, pandas, matplotlib today;
# --prefer-binary); the rest (scikit-learn: no musl wheel, and a Fortran compiler and OpenBLAS
# for its build dependencies) is compiled from source with the talk's apk build dependencies.
# Build args:
#   BUILDER_IMAGE, BASE_IMAGE   e.g. python:3.11-alpine for both
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_TRUSTED_HOST, PIP_NO_INDEX
#   APK_BUILD_DEPS    compilers and -dev packages for the builder
#   APK_RUNTIME_DEPS  shared libraries the final stage needs when wheels are not repaired
#                     (what source builds link: libstdc++, libgomp; the talk's openblas and
#                     freetype); empty with INSTALL=wheel
#   INSTALL           "pip": install straight away (the talk's multi-stage rung);
#                     "wheel": scripts/musl-wheels.sh: pip wheel, auditwheel repair of every
#                     wheel built here (grafting the libraries it links), install from the
#                     wheelhouse with --no-index (the talk's "fixing the wheel")
#   SIZE_CFLAGS       compiler flags for source builds, e.g. the talk's "-g0 -Os -DNDEBUG -Wl,--strip-all"
#   SIZE_LDFLAGS      linker flags for source builds, e.g. "-Wl,--strip-all" (meson links with
#                     LDFLAGS, not CFLAGS)
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
ARG SIZE_LDFLAGS=""
ARG DEDUPE=0
RUN apk add --no-cache $APK_BUILD_DEPS
COPY requirements.txt constraints.txt /tmp/shrinkbench/
COPY scripts/ /tmp/shrinkbench/scripts/
RUN export CFLAGS="$SIZE_CFLAGS" CXXFLAGS="$SIZE_CFLAGS" FFLAGS="$SIZE_CFLAGS" LDFLAGS="$SIZE_LDFLAGS" \
 && if [ "$INSTALL" = wheel ]; then \
      sh /tmp/shrinkbench/scripts/musl-wheels.sh /tmp/shrinkbench/requirements.txt /tmp/shrinkbench/constraints.txt; \
    else \
      pip install --user --no-cache-dir --prefer-binary --progress-bar off -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt; \
    fi \
 && if [ "$DEDUPE" = 1 ]; then python /tmp/shrinkbench/scripts/dedupe.py /root/.local; fi

FROM ${BASE_IMAGE}
ARG APK_RUNTIME_DEPS="libstdc++ libgomp openblas freetype libpng"
RUN if [ -n "$APK_RUNTIME_DEPS" ]; then apk add --no-cache $APK_RUNTIME_DEPS; fi
WORKDIR /app
COPY --from=builder /root/.local /root/.local
COPY app/ /app/

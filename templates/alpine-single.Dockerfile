# The talk's first alpine rung (its 747 MB image, 59 minutes of builds): one stage on musl, the
# build dependencies installed with apk and kept, pip's cache kept (as in the talk).
# Today musllinux wheels exist for numpy (>= 1.25), scipy (>= 1.11.2), pandas (>= 2.1) and
# matplotlib (>= 3.8): pip takes them (--prefer-binary: never a newer sdist over an older
# wheel). What has none (scikit-learn) is compiled from source, which needs the compilers, a
# Fortran compiler and OpenBLAS headers below. The talk also linked /usr/include/xlocale.h for
# the numpy of 2020; no current release needs it.
# Build args: BASE_IMAGE (e.g. python:3.11-alpine), the PIP_* index args, and
#   APK_BUILD_DEPS  the compilers and -dev packages the source builds need
ARG BASE_IMAGE=python:3.11-alpine
FROM ${BASE_IMAGE}
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_FIND_LINKS
ARG PIP_TRUSTED_HOST
ARG PIP_NO_INDEX
ARG PIP_DISABLE_PIP_VERSION_CHECK=1
ARG PIP_ROOT_USER_ACTION=ignore
ARG APK_BUILD_DEPS="gcc g++ gfortran musl-dev build-base linux-headers openblas-dev freetype-dev libpng-dev"
WORKDIR /app
RUN apk add --no-cache $APK_BUILD_DEPS
COPY requirements.txt constraints.txt /tmp/shrinkbench/
# The talk's rungs before "one layer" keep pip's download cache: that is what they show.
# hadolint ignore=DL3042
RUN pip install --user --prefer-binary --progress-bar off -r /tmp/shrinkbench/requirements.txt -c /tmp/shrinkbench/constraints.txt
COPY app/ /app/

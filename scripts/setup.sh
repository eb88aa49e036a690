#!/usr/bin/env bash
# Prepares a machine for shrinkbench: a reachable Docker engine, the base images for
# the roles full/slim/alpine, the npm packages, and the role -> image mapping in
# shrinkbench.config.json. Idempotent: a second run on a ready machine takes seconds.
#
# Environment knobs:
#   PYTHON_VERSION        python version of the base images (default 3.11)
#   SHRINKBENCH_NO_PULL=1 do not try the public registry; build stand-ins directly
#   SHRINKBENCH_CONFIG    where to write the config file (default ./shrinkbench.config.json)
#   SHRINKBENCH_SKIP_TEST_TOOLS=1  do not install what only the test suite needs (chromium)
#   SHRINKBENCH_STANDIN_REPO  repository of the stand-in base images (default shrinkbench/python)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

PYTHON_VERSION="${PYTHON_VERSION:-3.11}"
CONFIG="${SHRINKBENCH_CONFIG:-$here/shrinkbench.config.json}"
STANDIN_REPO="${SHRINKBENCH_STANDIN_REPO:-shrinkbench/python}"
DOCKERD_LOG="/var/log/shrinkbench-dockerd.log"
DOCKERD_PID="/var/run/shrinkbench-dockerd.pid"

say() { printf '[setup] %s\n' "$*"; }
die() {
	printf '[setup] error: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------- engine
engine_answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

ensure_engine() {
	if engine_answers; then
		say "engine: using ${DOCKER_HOST:-the default socket} (server $(docker version --format '{{.Server.Version}}'))"
		return
	fi
	if [ -n "${DOCKER_HOST:-}" ]; then
		die "DOCKER_HOST=$DOCKER_HOST does not answer; start that engine or unset DOCKER_HOST"
	fi
	[ "$(id -u)" = 0 ] || die "no Docker engine answers and I am not root: start dockerd yourself, or set DOCKER_HOST"
	if ! command -v dockerd >/dev/null 2>&1; then
		command -v apt-get >/dev/null 2>&1 || die "no dockerd and no apt-get: install Docker Engine, then rerun"
		say "engine: installing Debian's docker.io"
		apt_install docker.io
	fi
	# The default bridge would hand containers 172.17.0.0/16 addresses; builds use the host network instead.
	say "engine: starting dockerd --bridge=none (log: $DOCKERD_LOG)"
	setsid dockerd --bridge=none --iptables=false --ip6tables=false \
		--pidfile "$DOCKERD_PID" >"$DOCKERD_LOG" 2>&1 </dev/null &
	for _ in $(seq 1 60); do
		if engine_answers; then
			say "engine: dockerd $(docker version --format '{{.Server.Version}}') answers on the default socket (pid $(cat "$DOCKERD_PID"))"
			return
		fi
		sleep 1
	done
	tail -n 20 "$DOCKERD_LOG" >&2 || true
	die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
}

apt_updated=0
apt_install() {
	if [ "$apt_updated" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------- base images
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

try_pull() {
	[ "${SHRINKBENCH_NO_PULL:-0}" = 1 ] && return 1
	image_exists "$1" && return 0
	timeout 60 docker pull -q "$1" >/dev/null 2>&1
}

debian_mirror() {
	# The archive this machine's own apt uses, so the stand-ins come from the same place.
	local uri=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
	fi
	[ -n "$uri" ] || die "cannot find a Debian mirror in /etc/apt/sources.list*"
	printf '%s' "$uri"
}

build_slim_standin() {
	local tag="$1" root
	command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
	root=$(mktemp -d /var/tmp/shrinkbench-rootfs.XXXXXX)
	say "base slim: debootstrap bookworm (python3, pip) from the machine's Debian mirror"
	debootstrap --variant=minbase --include=python3,python3-pip,python-is-python3,ca-certificates \
		bookworm "$root" "$(debian_mirror)" >/var/tmp/shrinkbench-debootstrap.log 2>&1 ||
		{
			tail -n 20 /var/tmp/shrinkbench-debootstrap.log >&2
			die "debootstrap failed; see /var/tmp/shrinkbench-debootstrap.log"
		}
	# Trim like debian:bookworm-slim: no docs, man pages, locales, apt lists or archives.
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
		"$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/usr/share/groff/* "$root"/usr/share/lintian/* "$root"/usr/share/locale/* \
		"$root"/var/log/*.log "$root"/var/log/apt/* "$root"/var/cache/ldconfig/aux-cache
	# As in the official images: pip may install into the system interpreter.
	rm -f "$root"/usr/lib/python3*/EXTERNALLY-MANAGED
	mkdir -p "$root"/etc/dpkg/dpkg.cfg.d "$root"/etc/apt/apt.conf.d
	cat >"$root"/etc/dpkg/dpkg.cfg.d/docker-slim <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
	cat >"$root"/etc/apt/apt.conf.d/docker-clean <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Acquire::GzipIndexes "true";
EOF
	tar --numeric-owner -C "$root" -c . |
		docker import \
			--change 'ENV LANG=C.UTF-8' \
			--change 'ENV PATH=/root/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
			--change 'CMD ["python3"]' \
			--change 'LABEL org.shrinkbench.base=slim' \
			- "$tag" >/dev/null
	rm -rf "$root"
}

build_full_standin() {
	local tag="$1" slim="$2" ctx
	ctx=$(mktemp -d)
	# The package list of buildpack-deps:bookworm, which the official python:<v> image is built on.
	cat >"$ctx/Dockerfile" <<'EOF'
ARG SLIM
FROM ${SLIM}
RUN rm -f /etc/dpkg/dpkg.cfg.d/docker-slim \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    autoconf automake bzip2 curl default-libmysqlclient-dev dpkg-dev file g++ gcc git gnupg \
    imagemagick libbz2-dev libc6-dev libcurl4-openssl-dev libdb-dev libevent-dev libffi-dev \
    libgdbm-dev libglib2.0-dev libgmp-dev libjpeg-dev libkrb5-dev liblzma-dev \
    libmagickcore-dev libmagickwand-dev libmaxminddb-dev libncurses5-dev libncursesw5-dev \
    libpng-dev libpq-dev libreadline-dev libsqlite3-dev libssl-dev libtool libwebp-dev \
    libxml2-dev libxslt-dev libyaml-dev make mercurial netbase openssh-client patch procps \
    python3-dev subversion unzip wget xz-utils zlib1g-dev binutils \
    tk-dev uuid-dev libbluetooth-dev libpython3.11-testsuite \
 && rm -rf /var/lib/apt/lists/*
LABEL org.shrinkbench.base=full
EOF
	say "base full: $slim + the build tools and -dev libraries of buildpack-deps"
	DOCKER_BUILDKIT=0 docker build -q --network host --build-arg "SLIM=$slim" -t "$tag" "$ctx" >/dev/null
	rm -rf "$ctx"
}

ensure_bases() {
	local official_full="python:${PYTHON_VERSION}" official_slim="python:${PYTHON_VERSION}-slim"
	local official_alpine="python:${PYTHON_VERSION}-alpine"
	local full slim alpine
	if try_pull "$official_slim" && try_pull "$official_full"; then
		say "base images: pulled the official $official_full and $official_slim"
		full="$official_full"
		slim="$official_slim"
	else
		[ "$PYTHON_VERSION" = 3.11 ] || die "the registry is unreachable and stand-ins exist only for python 3.11 (Debian bookworm)"
		say "base images: the registry is not reachable; using Debian bookworm stand-ins"
		slim="$STANDIN_REPO:3.11-slim"
		full="$STANDIN_REPO:3.11-full"
		if image_exists "$slim"; then say "base slim: $slim already present"; else build_slim_standin "$slim"; fi
		if image_exists "$full"; then say "base full: $full already present"; else build_full_standin "$full" "$slim"; fi
	fi
	if try_pull "$official_alpine"; then
		alpine="$official_alpine"
		say "base alpine: $alpine"
	else
		alpine="$official_alpine"
		say "base alpine: $alpine cannot be pulled here; alpine rungs will be SKIPPED (base image unavailable)"
	fi
	for img in "$full" "$slim"; do
		say "  $img: $(docker image inspect --format '{{.Size}}' "$img" | awk '{printf "%.0f MB", $1 / 1e6}')"
	done
	write_config "$full" "$slim" "$alpine"
}

write_config() {
	node -e '
		const fs = require("fs");
		const [file, full, slim, alpine] = process.argv.slice(1);
		let config = {};
		if (fs.existsSync(file)) config = JSON.parse(fs.readFileSync(file, "utf8"));
		config.bases = { ...(config.bases ?? {}), full, slim, alpine };
		fs.writeFileSync(file + ".tmp", JSON.stringify(config, null, 2) + "\n");
		fs.renameSync(file + ".tmp", file);
	' "$CONFIG" "$1" "$2" "$3"
	say "config: base roles recorded in $CONFIG"
}

# ---------------------------------------------------------------- test tools
ensure_test_tools() {
	# The chart test renders the HTML report in a real headless browser.
	if command -v chromium >/dev/null 2>&1; then
		say "tests: chromium present"
	elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "tests: installing Debian's chromium (the chart test renders the report in it)"
		apt_install chromium fonts-dejavu-core
	else
		say "tests: chromium is missing; the chart browser test will fail until it is installed"
	fi
}

# ---------------------------------------------------------------- npm
ensure_npm() {
	if [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
		say "npm: packages already installed"
	else
		say "npm: installing packages"
		npm ci --no-audit --no-fund --loglevel=error
	fi
	if [ ! -f dist/bin.js ] || [ -n "$(find src -newer dist/bin.js -name '*.ts' -print -quit)" ]; then
		say "npm: building"
		npm run -s build
	fi
}

ensure_engine
ensure_bases
[ "${SHRINKBENCH_SKIP_TEST_TOOLS:-0}" = 1 ] || ensure_test_tools
ensure_npm
say "ready"

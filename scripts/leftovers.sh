#!/usr/bin/env bash
# What shrinkbench's runs and tests left on the engine: run after the test suite (.ci/run does),
# it names every leftover and exits 1 if there is any.
#   - images and containers carrying org.shrinkbench.run, and the BuildKit cache records a run
#     marked: what `shrinkbench clean --all-runs` would remove (listed by its --dry-run);
#   - images built FROM the stand-in bases that carry no run label (their only shrinkbench label
#     is the bases' org.shrinkbench.base): a test's own image it did not remove, or the steps of
#     a build that nothing labelled. The stand-in bases themselves are not leftovers;
#   - with --since FILE: every image, container, volume and BuildKit build cache record that is
#     on the engine now and was not when `--snapshot FILE` ran (.ci/run takes it right after the
#     setup): what nothing above names, such as the cache record of each build's unpacked context.
#
#   scripts/leftovers.sh --snapshot FILE   write the engine's objects to FILE, check nothing
#   scripts/leftovers.sh [--since FILE]    the check
# Needs a built dist/ (npm run build) and the engine the tests used (DOCKER_HOST or the default).
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per object: KIND ID SIZE WHAT (docker system df -v, which lists the build cache too).
objects() {
  docker system df -v --format '{{json .}}' | node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const df = JSON.parse(s);
      const out = [];
      for (const i of df.Images ?? [])
        out.push(["image", i.ID, i.UniqueSize ?? i.Size, `${i.Repository}:${i.Tag} created ${i.CreatedAt}`]);
      for (const c of df.Containers ?? [])
        out.push(["container", c.ID, c.Size, `${c.Names} (${c.Image}) ${c.Status}`]);
      for (const v of df.Volumes ?? []) out.push(["volume", v.Name, v.Size, v.Labels || "-"]);
      // A shared record backs an image that still exists: a base image (setup imports them without
      // BuildKit, so the first build makes their records), or an image this check names itself.
      for (const r of (df.BuildCache ?? []).filter((r) => String(r.Shared) !== "true"))
        out.push(["buildcache", r.ID, r.Size, `${r.Description} (created ${r.CreatedAt}${r.InUse === "true" ? ", in use" : ""})`]);
      for (const o of out) console.log(o.join(" "));
    });'
}

if [ "${1:-}" = "--snapshot" ]; then
  objects | awk '{print $1, $2}' >"$2"
  echo "[leftovers] engine objects at the start: $(wc -l <"$2") (in $2)"
  exit 0
fi
since=""
if [ "${1:-}" = "--since" ]; then since=$2; fi

status=0
report=$(node dist/bin.js clean --all-runs --dry-run)
if ! grep -q "^nothing to remove$" <<<"$report"; then
  echo "[leftovers] labelled by a run:"
  echo "$report"
  status=1
fi

bases=$(docker images --no-trunc -q 'shrinkbench/python' | sort -u)
unlabelled=()
for id in $(docker images --no-trunc -q --filter label=org.shrinkbench.base | sort -u); do
  grep -qx "$id" <<<"$bases" && continue
  run=$(docker image inspect --format '{{index .Config.Labels "org.shrinkbench.run"}}' "$id")
  [ -n "$run" ] && continue # listed above
  unlabelled+=("$(docker image inspect --format '{{.Id}} {{range .RepoTags}}{{.}} {{else}}<untagged> {{end}}{{.Size}} bytes, created {{.Created}}' "$id")")
done
if [ "${#unlabelled[@]}" -gt 0 ]; then
  echo "[leftovers] built FROM the stand-in bases, no run label:"
  printf '  %s\n' "${unlabelled[@]}"
  status=1
fi

if [ -n "$since" ]; then
  new=$(objects | awk 'NR == FNR { seen[$1 " " $2] = 1; next } !(($1 " " $2) in seen)' "$since" -)
  if [ -n "$new" ]; then
    echo "[leftovers] on the engine now, not at the start (kind, id, size, what):"
    sed 's/^/  /' <<<"$new"
    echo "[leftovers] $(grep -c '^buildcache ' <<<"$new" || true) build cache record(s), $(grep -c '^image ' <<<"$new" || true) image(s), $(grep -c '^container ' <<<"$new" || true) container(s), $(grep -c '^volume ' <<<"$new" || true) volume(s)"
    status=1
  fi
fi

if [ "$status" = 0 ]; then echo "[leftovers] none"; fi
exit "$status"

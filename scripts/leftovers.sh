#!/usr/bin/env bash
# What shrinkbench's runs and tests left on the engine: run after the test suite (.ci/run does),
# it names every leftover and exits 1 if there is any.
#   - images and containers carrying org.shrinkbench.run, and the BuildKit cache records a run
#     marked: what `shrinkbench clean --all-runs` would remove (listed by its --dry-run);
#   - images built FROM the stand-in bases that carry no run label (their only shrinkbench label
#     is the bases' org.shrinkbench.base): a test's own image it did not remove, or the steps of
#     a build that nothing labelled. The stand-in bases themselves are not leftovers.
# Needs a built dist/ (npm run build) and the engine the tests used (DOCKER_HOST or the default).
set -euo pipefail
cd "$(dirname "$0")/.."

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

if [ "$status" = 0 ]; then echo "[leftovers] none"; fi
exit "$status"

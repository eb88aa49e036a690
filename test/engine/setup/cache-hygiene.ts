// Each engine test file leaves BuildKit's cache as it found it. A run prunes the records its marks
// name and those of its images, but a build that never finished (a timeout, a kill, a stopped
// engine: several tests make those on purpose) leaves the COPY records before its first RUN, which
// name nothing (BuildKit 0.8 describes every copy as "fileop target"; README, `shrinkbench clean`), and
// leftovers.test's stand-in user keeps its own records on purpose. Engine test files run one at a
// time (fileParallelism: false), so a record that appeared during a file and is not in use is that
// file's. The product's own clean-up is asserted by leftovers.test before this runs.
import Docker from "dockerode";
import { afterAll, beforeAll } from "vitest";
import { pruneCacheRecords } from "../../../src/docker/leftovers.js";

const docker = new Docker();
let before: Set<string> | undefined;

async function recordIds(): Promise<{ id: string; inUse: boolean }[]> {
  const df = (await docker.df()) as { BuildCache?: { ID: string; InUse: boolean }[] };
  return (df.BuildCache ?? []).map((r) => ({ id: r.ID, inUse: r.InUse }));
}

beforeAll(async () => {
  // Files that never reach the engine (the chart in a browser) have nothing to tidy.
  before = await recordIds()
    .then((rs) => new Set(rs.map((r) => r.id)))
    .catch(() => undefined);
});

afterAll(async () => {
  if (!before) return;
  const made = (await recordIds()).filter((r) => !before!.has(r.id) && !r.inUse);
  if (made.length > 0)
    await pruneCacheRecords(
      docker,
      made.map((r) => r.id),
    );
});

// Warm rebuilds (--rebuild): one rung built cold, then again with the cache on after an
// application file changed in the build context; the user's folder is left as it was.
import Docker from "dockerode";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import type { RunRecord } from "../../src/types.js";
import { removeByLabel } from "./helpers/docker.js";
import { quietIO, runOptions, testBuilder } from "./helpers/run.js";

const docker = new Docker(resolveEndpoint(undefined).modem);
const MAIN = 'print("hello from the app")\n';
let dir: string;
let record: RunRecord;
let exitCode: number;
const lines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-rebuild-"));
  await writeFile(join(dir, "main.py"), MAIN);
  const outcome = await runCommand(
    runOptions(join(dir, "out"), {
      rungs: ["slim", "slim-cache-mount"],
      app: dir,
      rebuild: true,
      name: "rebuild",
      verbose: true,
    }),
    quietIO({ stderr: (s) => void lines.push(s) }),
  );
  record = outcome.record;
  exitCode = outcome.exitCode;
});

afterAll(async () => {
  if (record) await removeByLabel(docker, record.runId);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("--rebuild on one rung", () => {
  it("records a warm rebuild far shorter than the cold build", () => {
    expect(exitCode).toBe(0);
    const [slim] = record.rungs;
    expect(slim!.status).toBe("PASS");
    expect(slim!.builder).toBe(testBuilder());
    expect(slim!.rebuildSeconds).toBeGreaterThan(0);
    expect(slim!.rebuildRequirementsSeconds).toBeGreaterThan(0);
    // Requirements come before the application code: only the layers after COPY app/ rebuild.
    expect(slim!.rebuildSeconds!).toBeLessThan(slim!.buildSeconds! / 2);
  });

  it("reuses the cached install and rebuilds from the changed file on", async () => {
    const log = await readFile(join(dir, "out", record.rungs[0]!.logFile!), "utf8");
    const warm = log.slice(log.indexOf("--- warm rebuild (--rebuild)"));
    if (testBuilder() === "buildkit") {
      expect(warm).toMatch(/(#\d+) \[\d+\/\d+\] RUN .*pip install[\s\S]*?\1 CACHED/);
    } else {
      expect(warm).toMatch(/Step \d+\/\d+ : RUN .*pip install[\s\S]*?---> Using cache/);
    }
    expect(warm).toMatch(/--- warm rebuild after changing app\/shrinkbench_rebuild\.py: [\d.]+ s/);
  });

  it("leaves the user's folder and the engine as they were", async () => {
    expect(await readFile(join(dir, "main.py"), "utf8")).toBe(MAIN);
    const filters = { label: [`org.shrinkbench.run=${record.runId}`] };
    expect(await docker.listImages({ all: true, filters })).toEqual([]);
  });
});

describe("--rebuild after a requirements change", () => {
  const warmAfterRequirements = async (rung: string) => {
    const r = record.rungs.find((x) => x.rung === rung)!;
    const log = await readFile(join(dir, "out", r.logFile!), "utf8");
    return log.slice(log.indexOf("--- warm rebuild (--rebuild): cache on, one requirement added"));
  };

  it("installs again with the added requirement", async () => {
    const warm = await warmAfterRequirements("slim");
    // The small set names six: the first one it does not name is idna.
    expect(warm).toMatch(/Successfully installed .*idna/);
    expect(warm).toMatch(/--- warm rebuild after changing requirements\.txt \(\+idna\): [\d.]+ s/);
  });

  it("reuses what pip downloaded in the cold build only with a cache mount (BuildKit)", async () => {
    const mount = record.rungs.find((x) => x.rung === "slim-cache-mount")!;
    if (testBuilder() === "classic") {
      expect(mount.status).toBe("SKIPPED");
      expect(mount.reason).toMatch(/needs BuildKit/);
      return;
    }
    expect(mount.status).toBe("PASS");
    expect(mount.rebuildRequirementsSeconds).toBeGreaterThan(0);
    // pip says "Using cached" for a file its cache held; --no-cache-dir rungs download again.
    expect(await warmAfterRequirements("slim-cache-mount")).toMatch(/Using cached \S*markupsafe/i);
    expect(await warmAfterRequirements("slim")).not.toMatch(/Using cached \S*markupsafe/i);
  });
});

// Environment markers are evaluated for the image's python, not the host's: a requirement whose
// marker is true in the image and false on the host is installed and import-tested, and one
// whose marker is false in the image and true on the host is left out (not installed, not
// expected by the smoke test) and reported. The threshold is the host's own python version,
// so the test holds wherever the image's python differs from the host's.
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import type { RunRecord } from "../../src/types.js";
import { removeByLabel, RUN_LABEL, SLIM } from "./helpers/docker.js";
import { quietIO, runOptions } from "./helpers/run.js";

const docker = new Docker();
let dir: string;
let record: RunRecord;
let markdown: string;
let hostVersion: string;
let imageVersion: string;
let inImage: string;
let onHost: string;

function pythonVersion(cmd: string[]): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout.trim();
}

/** The host's packaging evaluation of a marker (pip's evaluator, on the host's python). */
function hostEvaluates(marker: string): boolean {
  const r = spawnSync(
    "python3",
    [
      "-c",
      "import sys\ntry:\n from packaging.markers import Marker\nexcept ImportError:\n from pip._vendor.packaging.markers import Marker\nprint(Marker(sys.argv[1]).evaluate())",
      marker,
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`host packaging cannot evaluate ${marker}: ${r.stderr}`);
  return r.stdout.trim() === "True";
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-markers-"));
  hostVersion = pythonVersion([
    "python3",
    "-c",
    "import platform; print(platform.python_version())",
  ]);
  imageVersion = pythonVersion([
    "docker",
    "run",
    "--rm",
    "--network",
    "none",
    SLIM,
    "python3",
    "-c",
    "import platform; print(platform.python_version())",
  ]);
  if (hostVersion === imageVersion) {
    throw new Error(
      `host and image both run python ${hostVersion}: no marker on python_full_version tells them apart`,
    );
  }
  const older = hostVersion > imageVersion ? "<" : ">";
  const newer = hostVersion > imageVersion ? ">=" : "<=";
  inImage = `python_full_version ${older} "${hostVersion}"`;
  onHost = `python_full_version ${newer} "${hostVersion}"`;
  const req = join(dir, "requirements.txt");
  await writeFile(req, `six ; ${inImage}\ntomli ; ${onHost}\n`);
  const out = join(dir, "out");
  const outcome = await runCommand(
    runOptions(out, {
      requirements: req,
      rungs: ["slim", "slim-multistage"],
      name: "markers",
      keepImages: true,
      inspect: false,
    }),
    quietIO({ env: { ...process.env, SHRINKBENCH_CACHE_DIR: join(dir, "cache") } }),
  );
  record = outcome.record;
  markdown = await readFile(outcome.files.markdown, "utf8");
});

afterAll(async () => {
  if (record) await removeByLabel(docker, record.runId);
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function imports(image: string, module: string): Promise<number> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["python3", "-c", `import ${module}`],
    Entrypoint: [],
    Labels: { [RUN_LABEL]: record.runId },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    await container.start();
    return ((await container.wait()) as { StatusCode: number }).StatusCode;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

describe("markers evaluated for the image's python", () => {
  it("the host's packaging says the opposite of the image for both markers", () => {
    expect(hostEvaluates(inImage)).toBe(false);
    expect(hostEvaluates(onHost)).toBe(true);
  });

  it("passes every rung: six installed and imported, tomli neither", async () => {
    expect(record.rungs.map((r) => [r.rung, r.status, r.reason])).toEqual([
      ["slim", "PASS", undefined],
      ["slim-multistage", "PASS", undefined],
    ]);
    for (const r of record.rungs) {
      expect(r.smoke?.description).toMatch(/: six$/);
      expect(r.smoke?.outputTail).toContain("ok: import six (six)");
      expect(await imports(r.image!.id, "six")).toBe(0);
      expect(await imports(r.image!.id, "tomli")).not.toBe(0);
    }
  });

  it("reports what a marker left out, and why, in the record and the markdown", () => {
    expect(record.requirements.leftOut).toEqual([
      {
        name: "tomli",
        line: `tomli ; ${onHost}`,
        marker: onHost,
        why: `${onHost} is false (python_full_version is "${imageVersion}")`,
        images: expect.arrayContaining([SLIM]) as unknown as string[],
      },
    ]);
    expect(record.notes?.some((n) => n.startsWith("tomli left out by its marker"))).toBe(true);
    expect(markdown).toContain("tomli left out by its marker");
  });
});

// Your own Dockerfile as a rung, on the real engine: `--dockerfile` builds, smoke-tests and
// times it (cold and both warm rebuilds) beside a built-in rung; Dockerfiles of a ladder file
// that cannot build FAIL with the engine's own message while the rest of the ladder goes on; the
// user's folder is left byte for byte as it was; a path that does not exist exits 2 before any
// engine is touched.
import Docker from "dockerode";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../../src/commands/run.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import type { Engine } from "../../src/docker/engine.js";
import { EXIT, InputError } from "../../src/errors.js";
import type { RunRecord } from "../../src/types.js";
import { removeByLabel } from "./helpers/docker.js";
import { quietIO, runOptions, testBuilder } from "./helpers/run.js";

const docker = new Docker(resolveEndpoint(undefined).modem);

// The naive Dockerfile of the "slim and fast" post: the whole folder added before the install.
const NAIVE = [
  "FROM python:3.11-slim",
  "WORKDIR /app",
  "ADD . /app",
  "RUN pip install -r requirements.txt",
  'CMD ["python", "app.py"]',
  "",
].join("\n");
const APP = 'import yaml\nprint(yaml.safe_load("a: 1"))\n';
const REQUIREMENTS = "markupsafe\npython-dateutil\npyyaml\nsix\n";

let dir: string;
let project: string;
let record: RunRecord;
let exitCode: number;
let before: string;

/** sha256 over every path, mode, mtime and content under `root`. */
async function folderHash(root: string): Promise<string> {
  const h = createHash("sha256");
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = join(root, rel, name);
      const st = await stat(path);
      h.update(`${rel}/${name} ${st.mode} ${st.mtimeMs} ${st.size}\n`);
      if (st.isDirectory()) await walk(join(rel, name));
      else h.update(await readFile(path));
    }
  };
  await walk("");
  return h.digest("hex");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-yours-"));
  project = join(dir, "project");
  const broken = join(dir, "broken");
  await Promise.all([
    import("node:fs/promises").then((fs) => fs.mkdir(project)),
    import("node:fs/promises").then((fs) => fs.mkdir(broken)),
  ]);
  await writeFile(join(project, "Dockerfile"), NAIVE);
  await writeFile(join(project, "app.py"), APP);
  await writeFile(join(project, "requirements.txt"), REQUIREMENTS);
  await writeFile(join(project, ".dockerignore"), "notes/\n");
  await writeFile(join(broken, "syntax.Dockerfile"), "FROM python:3.11-slim\nRUNN true\n");
  await writeFile(
    join(broken, "missing.Dockerfile"),
    "FROM python:3.11-slim\nCOPY missing.txt /\n",
  );
  await writeFile(
    join(broken, "nobase.Dockerfile"),
    "FROM shrinkbench/no-such-base:never\nRUN true\n",
  );
  const ladder = join(broken, "ladder.json");
  await writeFile(
    ladder,
    JSON.stringify({
      name: "broken",
      rungs: [
        { id: "syntax", description: "a syntax error", dockerfile: "syntax.Dockerfile" },
        { id: "missing", description: "a file missing", dockerfile: "missing.Dockerfile" },
        { id: "nobase", description: "a base not to be had", dockerfile: "nobase.Dockerfile" },
        { id: "slim", description: "slim", base: "slim", template: "single-stage.Dockerfile" },
      ],
    }),
  );
  before = await folderHash(project);
  const outcome = await runCommand(
    runOptions(join(dir, "out"), {
      requirements: join(project, "requirements.txt"),
      ladder,
      dockerfile: join(project, "Dockerfile"),
      rebuild: true,
      inspect: false,
      precheck: false,
      name: "yours",
    }),
    quietIO(),
  );
  record = outcome.record;
  exitCode = outcome.exitCode;
}, 900_000);

afterAll(async () => {
  if (record) await removeByLabel(docker, record.runId);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const rung = (id: string) => record.rungs.find((r) => r.rung === id)!;
const logOf = async (id: string) => readFile(join(dir, "out", rung(id).logFile!), "utf8");

describe("--dockerfile", () => {
  it("builds your Dockerfile as the first rung, which passes the smoke test", () => {
    expect(record.rungs.map((r) => r.rung)).toEqual([
      "yours",
      "syntax",
      "missing",
      "nobase",
      "slim",
    ]);
    const yours = rung("yours");
    expect(yours.status).toBe("PASS");
    expect(yours.builder).toBe(testBuilder());
    expect(yours.smoke?.description).toMatch(/import the top-level module of 4 requirement/);
    // FROM python:3.11-slim is built on the config's slim image, as the ladder's rungs are.
    expect(yours).toMatchObject({ base: "slim", baseImage: "shrinkbench/python:3.11-slim" });
    expect(yours.image!.sizeBytes).toBeGreaterThan(yours.image!.baseSizeBytes);
    expect(record.notes?.join("\n")).toMatch(/yours: FROM python:3\.11-slim is built on/);
  });

  it("times both warm rebuilds: ADD . before the install re-runs it after an app change", async () => {
    const yours = rung("yours");
    expect(yours.rebuildSeconds).toBeGreaterThan(0);
    expect(yours.rebuildRequirementsSeconds).toBeGreaterThan(0);
    const log = await logOf("yours");
    const warm = log.slice(log.indexOf("--- warm rebuild (--rebuild): cache on, one application"));
    expect(warm).toMatch(/--- warm rebuild after changing app\.py: [\d.]+ s/);
    expect(warm).toMatch(/--- warm rebuild after changing requirements\.txt \(\+idna\): [\d.]+ s/);
    const appWarm = warm.slice(0, warm.indexOf("--- warm rebuild after changing app.py"));
    // The install ran again (the naive order's cost), with the label and the mark of the run.
    if (testBuilder() === "buildkit") {
      expect(appWarm).toMatch(/RUN pip install -r requirements\.txt # shrinkbench-run=/);
      expect(appWarm).not.toMatch(/(#\d+) \[\d+\/\d+\] RUN pip install[^\n]*\n\1 CACHED/);
    } else {
      expect(appWarm).toMatch(/Step \d+\/\d+ : RUN pip install[^\n]*\n(?! ---> Using cache)/);
    }
    // The built-in rung installs first: its app-change rebuild reuses the install.
    expect(rung("slim").rebuildSeconds!).toBeLessThan(yours.rebuildSeconds!);
  });

  it("leaves your folder as it was, byte for byte", async () => {
    expect(await folderHash(project)).toBe(before);
  });

  it("compares every rung with yours in the recommendation", () => {
    const frontier = record.recommendation?.frontier ?? [];
    for (const id of frontier) expect(rung(id).status).toBe("PASS");
    // The smallest PASS rung is always on the frontier; whether the other is depends on the
    // times (yours and slim differ by a few kB, and either may build or import faster).
    const [smallest] = [rung("yours"), rung("slim")].sort(
      (a, b) => a.image!.sizeBytes - b.image!.sizeBytes,
    );
    expect(frontier).toContain(smallest!.rung);
    expect(exitCode).toBe(EXIT.failed); // the broken rungs
  });
});

describe("a ladder file's Dockerfiles that cannot build", () => {
  it("FAIL with the engine's own message while the rest of the ladder goes on", () => {
    expect(rung("syntax")).toMatchObject({ status: "FAILED" });
    expect(rung("syntax").reason).toMatch(/^build failed: .*(unknown instruction|RUNN)/i);
    expect(rung("missing").status).toBe("FAILED");
    expect(rung("missing").reason).toMatch(/^build failed: .*missing\.txt/);
    expect(rung("nobase").status).toBe("FAILED");
    expect(rung("nobase").reason).toMatch(/^build failed: .*no-such-base/);
    expect(rung("slim").status).toBe("PASS");
  });

  it("leaves no image of the run behind", async () => {
    const filters = { label: [`org.shrinkbench.run=${record.runId}`] };
    expect(await docker.listImages({ all: true, filters })).toEqual([]);
  });
});

describe("a --dockerfile or --build-context that does not exist", () => {
  /** An engine that fails the test if anything at all is asked of it. */
  const untouched = new Proxy({} as Engine, {
    get(_t, prop) {
      if (prop === "then") return undefined;
      throw new Error(`the engine was asked for ${String(prop)} before the input was checked`);
    },
  });

  it.each([
    [
      { dockerfile: "/nonexistent/Dockerfile" },
      "--dockerfile /nonexistent/Dockerfile: no such file",
    ],
    [
      { dockerfile: "test/fixtures/small/requirements.txt", buildContext: "/nonexistent/ctx" },
      "--build-context /nonexistent/ctx: not a directory",
    ],
  ])("exits 2 naming it before anything is built (%o)", async (flags, message) => {
    const run = runCommand(runOptions(join(tmpdir(), "never"), flags), quietIO(), untouched);
    await expect(run).rejects.toBeInstanceOf(InputError);
    await expect(run).rejects.toMatchObject({ message, exitCode: EXIT.usage });
  });
});

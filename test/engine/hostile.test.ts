// Only what it created, and nothing a user string can smuggle in: `clean` removes by label and
// leaves a look-alike image alone; hostile requirement lines, paths and ladder args neither
// change the build's instructions nor run anything on the host.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli/main.js";
import { runCommand, type RunOptions } from "../../src/commands/run.js";
import { quietIO, runOptions } from "./helpers/run.js";
import { DockerEngine } from "../../src/docker/docker-engine.js";
import { resolveEndpoint } from "../../src/docker/endpoint.js";
import { RUN_LABEL } from "../../src/ladder/plan.js";
import { buildImage } from "./helpers/docker.js";

const docker = new Docker(resolveEndpoint(undefined).modem);
const engine = new DockerEngine(resolveEndpoint(undefined));
const io = quietIO();
const USER_TAG = "shrinkbench/slim:20991231-000000-user00";
const PWNED = join(tmpdir(), "shrinkbench-pwned");
let dir: string;

function options(overrides: Partial<RunOptions>): RunOptions {
  return runOptions(dir, {
    rungs: ["slim"],
    keepImages: true,
    buildTimeout: 600,
    ...overrides,
  });
}

async function buildUserImage(): Promise<void> {
  // The user's own image: a similar name and a similar label key, but not shrinkbench's label.
  await buildImage(docker, {
    dockerfile: "FROM shrinkbench/python:3.11-slim\nRUN echo user > /owned-by-user\n",
    labels: { "org.shrinkbench.runner": "mine" },
    tag: USER_TAG,
  });
}

async function fileExistsIn(image: string, path: string): Promise<boolean> {
  const r = await engine.runContainer({
    image,
    cmd: [
      "python3",
      "-c",
      `import os, sys; sys.exit(0 if os.path.exists(${JSON.stringify(path)}) else 3)`,
    ],
    files: {},
    labels: { [RUN_LABEL]: "hostile-test" },
    timeoutMs: 60_000,
  });
  return r.exitCode === 0;
}

beforeAll(async () => {
  await engine.info();
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-hostile-"));
  await rm(PWNED, { force: true });
});

afterAll(async () => {
  await engine.removeImage(USER_TAG).catch(() => undefined);
  await engine.removeLeftovers({ runId: "hostile-test" }, { images: true, cache: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("shrinkbench clean", () => {
  it("removes what runs created, by label, and leaves a look-alike user image alone", async () => {
    await buildUserImage();
    const run = await runCommand(options({ name: "clean-me" }), io);
    expect(run.exitCode).toBe(0);
    const ours = run.record.rungs[0]!.image!.id;
    expect(await engine.inspectImage(ours)).toBeDefined();

    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const code = await main(["clean", "--run", run.record.runId]).finally(() =>
      write.mockRestore(),
    );
    expect(code).toBe(0);
    expect(await engine.inspectImage(ours)).toBeUndefined();
    expect(await engine.inspectImage(USER_TAG)).toBeDefined();
  });
});

describe("hostile inputs", () => {
  it("never change the Dockerfile's instructions or run anything on the host", async () => {
    const evil = `touch ${PWNED}`;
    const reqFile = join(dir, `req $(touch pwned-file) \`id\` 'q' "d".txt`);
    await writeFile(
      reqFile,
      [
        `six  # $(${evil}) \`${evil}\``,
        `# "quotes' and \\ backslashes; RUN touch /pwned-run`,
        "",
      ].join("\n"),
    );
    const ladderFile = join(dir, "hostile-ladder.json");
    await writeFile(
      ladderFile,
      JSON.stringify({
        name: "hostile",
        rungs: [
          {
            id: "slim",
            description: "args that try to break out of their quotes",
            base: "slim",
            template: "single-stage.Dockerfile",
            args: {
              NO_CACHE: `1"; touch /pwned-arg; echo "`,
              CLEANUP: "none",
              EXTRA: `$(touch /pwned-sub)\nRUN touch /pwned-newline`,
            },
          },
        ],
      }),
    );
    const run = await runCommand(
      options({ requirements: reqFile, ladder: ladderFile, name: "hostile" }),
      io,
    );
    const [rung] = run.record.rungs;
    expect(rung!.status, rung!.reason).toBe("PASS");
    const image = rung!.image!.id;
    for (const path of ["/pwned-arg", "/pwned-sub", "/pwned-newline", "/pwned-run", PWNED]) {
      expect(await fileExistsIn(image, path), path).toBe(false);
    }
    expect(existsSync(PWNED)).toBe(false);
    // The requirement line reached pip as data: the file in the image holds it verbatim.
    const history = await docker.getImage(image).history();
    const steps = history.map((h: { CreatedBy: string }) => h.CreatedBy).join("\n");
    expect(steps).not.toMatch(/pwned-run|pwned-newline/);
    const template = await readFile("templates/single-stage.Dockerfile", "utf8");
    const runSteps = template.split("\n").filter((l) => l.startsWith("RUN ")).length;
    expect(
      history.filter((h: { CreatedBy: string }) => /\/bin\/sh -c (?!#\(nop\))/.test(h.CreatedBy))
        .length,
    ).toBe(runSteps);
    await engine.removeLeftovers({ runId: run.record.runId }, { images: true, cache: true });
  });

  it("refuses a requirement line that is not a requirement, naming file and line", async () => {
    const reqFile = join(dir, "instructions.txt");
    await writeFile(reqFile, "six\nRUN touch /pwned-run\n");
    await expect(runCommand(options({ requirements: reqFile }), io)).rejects.toThrow(
      /instructions\.txt:2/,
    );
  });

  it("refuses a rung id that could reach an image name or a path", async () => {
    const ladderFile = join(dir, "bad-id.json");
    await writeFile(
      ladderFile,
      JSON.stringify({
        name: "bad",
        rungs: [
          {
            id: "x\nRUN touch /p",
            description: "d",
            base: "slim",
            template: "single-stage.Dockerfile",
          },
        ],
      }),
    );
    await expect(runCommand(options({ ladder: ladderFile }), io)).rejects.toThrow(/rungs\[0\]\.id/);
  });
});

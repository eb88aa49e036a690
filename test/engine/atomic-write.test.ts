// A run killed while it writes its results leaves the previous file intact. This spawns the
// built program (dist/, as `npm test` builds it first), so it lives with the process tests.
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "shrinkbench-atomic-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("writeFileAtomic under SIGKILL", () => {
  it("leaves the previous file whole when the writer is killed mid-write", async () => {
    const target = join(dir, "run.json");
    const previous = JSON.stringify({ runId: "previous", rungs: [] });
    await writeFile(target, previous);
    const module = pathToFileURL(join(process.cwd(), "dist", "results", "record.js")).href;
    // Writes ever larger records in a loop until killed.
    const script = `
      const { writeFileAtomic } = await import(${JSON.stringify(module)});
      const big = JSON.stringify({ runId: "new", pad: "x".repeat(64 * 1024 * 1024) });
      process.stdout.write("writing\\n");
      for (;;) await writeFileAtomic(${JSON.stringify(target)}, big);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    // A writer that dies before it writes (a module moved, say) fails the test instead of hanging it.
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once("data", () => resolve());
      child.once("exit", (code) => reject(new Error(`the writer exited (${code}) before writing`)));
    });
    // Kill it in the middle of its write loop: the file must still be one whole version.
    await new Promise((r) => setTimeout(r, 150));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const text = await readFile(target, "utf8");
    const parsed = JSON.parse(text) as { runId: string };
    expect(["previous", "new"]).toContain(parsed.runId);
    // Only the target and at most the killed writer's temp file: never a half-written target.
    const left = (await readdir(dir)).filter((f) => f !== "run.json");
    expect(left.every((f) => f.endsWith(".tmp"))).toBe(true);
  });
});

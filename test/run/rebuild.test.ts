import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareRun } from "../../src/commands/run.js";
import type { ContextEntry } from "../../src/ladder/context.js";
import { InputError } from "../../src/errors.js";
import { changeOneAppFile, REBUILD_FILE } from "../../src/run/rebuild.js";

const base: ContextEntry[] = [
  { type: "file", name: "Dockerfile", content: "FROM x\n" },
  { type: "directory", name: "app" },
];

describe("changeOneAppFile", () => {
  it("adds a file when the context holds no application file", async () => {
    const { entries, changed } = await changeOneAppFile(base, "run-1");
    expect(changed).toBe(REBUILD_FILE);
    expect(entries.slice(0, 2)).toEqual(base);
    expect(entries[2]).toEqual({
      type: "file",
      name: REBUILD_FILE,
      content: "# shrinkbench --rebuild: run-1\n",
    });
  });

  it("appends a comment to the first Python file, read from disk, keeping its mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shrinkbench-rebuild-unit-"));
    try {
      await writeFile(join(dir, "main.py"), "print(1)\n");
      const entries: ContextEntry[] = [
        ...base,
        { type: "file", name: "app/README.md", content: "# hi\n" },
        {
          type: "disk-file",
          name: "app/main.py",
          path: join(dir, "main.py"),
          size: 9,
          mode: 0o755,
        },
      ];
      const out = await changeOneAppFile(entries, "run-2");
      expect(out.changed).toBe("app/main.py");
      const main = out.entries.find((e) => e.name === "app/main.py")!;
      expect(main.type).toBe("file");
      if (main.type !== "file") throw new Error("unreachable");
      expect(main.content.toString()).toBe("print(1)\n\n# shrinkbench --rebuild: run-2\n");
      expect(main.mode).toBe(0o755);
      expect(out.entries.find((e) => e.name === "app/README.md")).toBe(entries[2]);
      expect(out.entries).toHaveLength(entries.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("--rebuild without --app", () => {
  it("is refused before anything runs", async () => {
    const p = prepareRun({
      requirements: "test/fixtures/small/requirements.txt",
      ladder: "modern",
      rungs: [],
      out: "unused",
      format: "json",
      extraIndexUrls: [],
      findLinks: [],
      noHostPipConfig: true,
      keepImages: false,
      concurrency: 1,
      buildTimeout: 1,
      smokeTimeout: 1,
      pullTimeout: 1,
      quiet: true,
      verbose: false,
      rebuild: true,
    });
    await expect(p).rejects.toThrow(InputError);
    await expect(p).rejects.toThrow("--rebuild needs --app DIR");
  });
});

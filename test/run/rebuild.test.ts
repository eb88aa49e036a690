import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareRun } from "../../src/commands/run.js";
import type { ContextEntry } from "../../src/ladder/context.js";
import { InputError } from "../../src/errors.js";
import {
  addOneRequirement,
  changeOneAppFile,
  REBUILD_FILE,
  requirementNames,
} from "../../src/run/rebuild.js";
import { offlineRunOptions } from "../fixtures/run-options.js";

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

describe("addOneRequirement", () => {
  const withRequirements = (text: string): ContextEntry[] => [
    ...base,
    { type: "file", name: "requirements.txt", content: text },
  ];

  it("adds the first small distribution the requirements do not name, in the context only", async () => {
    const entries = withRequirements("Six==1.16\nmarkupsafe\n");
    const out = await addOneRequirement(entries);
    expect(out.added).toBe("idna");
    expect(out.changed).toBe("requirements.txt");
    const req = out.entries.find((e) => e.name === "requirements.txt")!;
    if (req.type !== "file") throw new Error("unreachable");
    expect(String(req.content)).toBe(
      "Six==1.16\nmarkupsafe\nidna  # added by shrinkbench --rebuild\n",
    );
    // The original entry is untouched.
    expect(entries[2]).toEqual({
      type: "file",
      name: "requirements.txt",
      content: "Six==1.16\nmarkupsafe\n",
    });
  });

  it("ends an unterminated last line before adding", async () => {
    const out = await addOneRequirement(withRequirements("numpy"));
    const req = out.entries.find((e) => e.name === "requirements.txt")!;
    if (req.type !== "file") throw new Error("unreachable");
    expect(String(req.content)).toBe("numpy\nsix  # added by shrinkbench --rebuild\n");
  });

  it("reads a requirements file of your own from disk, at its place in the context", async () => {
    const dir = await mkdtemp(join(tmpdir(), "shrinkbench-rebuild-req-"));
    try {
      await writeFile(join(dir, "req.txt"), "flask\n");
      const entries: ContextEntry[] = [
        {
          type: "disk-file",
          name: "deps/req.txt",
          path: join(dir, "req.txt"),
          size: 6,
          mode: 0o600,
        },
      ];
      const out = await addOneRequirement(entries, "deps/req.txt");
      const req = out.entries[0]!;
      if (req.type !== "file") throw new Error("unreachable");
      expect(String(req.content)).toBe("flask\nsix  # added by shrinkbench --rebuild\n");
      expect(req.mode).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says so when the requirements file is not in the context", async () => {
    await expect(addOneRequirement(base)).rejects.toThrow(
      "requirements.txt is not in the build context",
    );
  });

  it("reads requirement names as pip normalises them, skipping options and comments", () => {
    expect([
      ...requirementNames(
        "# c\n--index-url x\nPython_Dateutil>=2 ; python_version>'3'\nzope.interface\n",
      ),
    ]).toEqual(["python-dateutil", "zope-interface"]);
  });
});

describe("--rebuild without --app", () => {
  it("is refused before anything runs", async () => {
    const p = prepareRun(offlineRunOptions({ rebuild: true }));
    await expect(p).rejects.toThrow(InputError);
    await expect(p).rejects.toThrow("--rebuild needs --app DIR");
  });
});

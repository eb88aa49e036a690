// The helper scripts a build context carries: files of templates/scripts only.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { loadScripts, TEMPLATES_DIR } from "../../src/ladder/assets.js";

// What running rootfs.py (which imports pyzip.py) beside its neighbours leaves behind.
const stray = join(TEMPLATES_DIR, "scripts", `__pycache__-test-${process.pid}`);
afterEach(async () => {
  await rm(stray, { recursive: true, force: true });
});

describe("loadScripts", () => {
  it("carries every script, and skips a folder among them", async () => {
    await mkdir(stray, { recursive: true });
    const scripts = await loadScripts();
    expect(Object.keys(scripts)).toContain("pyzip.py");
    expect(Object.keys(scripts)).toContain("rootfs.py");
    expect(Object.keys(scripts).some((n) => n.startsWith("__pycache__"))).toBe(false);
  });
});

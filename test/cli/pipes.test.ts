// A closed pipe ends quietly: `shrinkbench list | head -1` prints one line, no stack trace,
// exit 0. Runs the built executable (dist/bin.js) through a real shell pipe.
import { execFileSync, spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { quietOnClosedPipe } from "../../src/cli/pipes.js";

const BIN = join(import.meta.dirname, "..", "..", "dist", "bin.js");

describe("a closed pipe", () => {
  it("ends `shrinkbench list | head -1` quietly", () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first`);
    // `true` exits at once: every write of shrinkbench meets a closed pipe.
    const r = spawnSync("bash", ["-c", `set -o pipefail; node ${BIN} list | true`], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    // And it did print: the first line reached head.
    const first = execFileSync("bash", ["-c", `node ${BIN} list | head -1`], { encoding: "utf8" });
    expect(first).toMatch(/^modern: /);
  });

  it("swallows EPIPE on the stream, and rethrows anything else", () => {
    const stream = new EventEmitter();
    quietOnClosedPipe(stream);
    expect(() =>
      stream.emit("error", Object.assign(new Error("x"), { code: "EPIPE" })),
    ).not.toThrow();
    expect(() => stream.emit("error", Object.assign(new Error("disk"), { code: "EIO" }))).toThrow(
      "disk",
    );
  });
});

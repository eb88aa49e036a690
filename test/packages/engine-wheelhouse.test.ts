// Serving a wheelhouse on every engine on one port: the retry when a port is taken, and the
// archive sent to the engine. (Serving on a real engine: test/engine/remote-engine.test.ts.)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import type { Engine, HelperRequest } from "../../src/docker/engine.js";
import {
  serveWheelhouse,
  wheelhouseArchive,
  WHEELHOUSE_DIR,
} from "../../src/packages/engine-wheelhouse.js";

/** An engine that only knows startHelper; `fail(port)` decides an attempt's fate. */
function helperEngine(host: string, fail: (port: number) => string | undefined) {
  const started: number[] = [];
  const stopped: number[] = [];
  const engine = {
    host,
    async startHelper(req: HelperRequest) {
      req.archive.resume();
      const port = Number(req.cmd[3]);
      const why = fail(port);
      if (why) throw new Error(why);
      started.push(port);
      return {
        ready: [`shrinkbench-wheelhouse-ready ${port}`] as unknown as RegExpMatchArray,
        stop: async () => void stopped.push(port),
      };
    },
  } as unknown as Engine;
  return { engine, started, stopped };
}

describe("serveWheelhouse", () => {
  const opts = { dir: os.tmpdir(), files: [], image: "img", labels: {} };

  it("serves on one port everywhere, trying another when it is taken on some engine", async () => {
    const ports = [20001, 20002];
    const a = helperEngine("a", () => undefined);
    const b = helperEngine("b", (p) =>
      p === 20001 ? "OSError: [Errno 98] Address already in use" : undefined,
    );
    const served = await serveWheelhouse([a.engine, b.engine], {
      ...opts,
      pickPort: () => ports.shift()!,
    });
    expect(served.url).toBe("http://127.0.0.1:20002/");
    expect(a.started).toEqual([20001, 20002]);
    // The first try's helper on `a` was stopped when `b` refused the port.
    expect(a.stopped).toEqual([20001]);
    await served.stop();
    expect(a.stopped).toEqual([20001, 20002]);
    expect(b.stopped).toEqual([20002]);
  });

  it("gives up at once on any other failure", async () => {
    const a = helperEngine("a", () => "no such image: img");
    await expect(serveWheelhouse([a.engine], { ...opts, pickPort: () => 20003 })).rejects.toThrow(
      /no such image/,
    );
  });

  it("says which engine cannot run helpers", async () => {
    const plain = { host: "tcp://x:2375" } as unknown as Engine;
    await expect(serveWheelhouse([plain], opts)).rejects.toThrow(/tcp:\/\/x:2375/);
  });
});

describe("wheelhouseArchive", () => {
  it("packs the files under the wheelhouse folder", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shrinkbench-wha-"));
    try {
      fs.writeFileSync(path.join(dir, "a-1.0-py3-none-any.whl"), "wheel bytes");
      const extract = tar.extract();
      wheelhouseArchive(dir, [{ name: "a-1.0-py3-none-any.whl", size: 11 }]).pipe(extract);
      const seen: [string, string][] = [];
      for await (const entry of extract) {
        const chunks: Buffer[] = [];
        for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
        seen.push([entry.header.name, Buffer.concat(chunks).toString()]);
      }
      expect(seen).toEqual([
        [`${WHEELHOUSE_DIR}/`, ""],
        [`${WHEELHOUSE_DIR}/a-1.0-py3-none-any.whl`, "wheel bytes"],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

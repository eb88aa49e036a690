import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { serveContext, tarFileBytes } from "../../src/docker/context-url.js";
import { markedRun } from "../../src/ladder/run-marks.js";

const bytes = (n: number, fill = 7) => Buffer.alloc(n, fill);
const chunked = (...parts: Buffer[]) => Readable.from(parts, { objectMode: false });

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe("serveContext", () => {
  it("serves the tar on 127.0.0.1 at a path naming the run, and nothing else", async () => {
    const tar = Buffer.concat([bytes(1000, 1), bytes(500, 2)]);
    const result = await serveContext(chunked(tar.subarray(0, 1000), tar.subarray(1000)), "run-1");
    if (!("served" in result)) throw new Error("expected a served context");
    const { served } = result;
    try {
      expect(served.fileBytes).toBe(0); // not a tar: no file headers
      expect(served.url).toMatch(
        /^http:\/\/127\.0\.0\.1:\d+\/shrinkbench-run=run-1\/[0-9a-f]{24}\//,
      );
      // What the engine's record of it will be described as.
      expect(markedRun(`http url ${served.url}`)).toBe("run-1");
      const got = await fetch(served.url);
      expect(got.status).toBe(200);
      expect(got.headers.get("content-length")).toBe("1500");
      expect(Buffer.from(await got.arrayBuffer()).equals(tar)).toBe(true);
      // Asked again (a retry): the same bytes.
      expect((await (await fetch(served.url)).arrayBuffer()).byteLength).toBe(1500);
      expect(served.requests).toBe(2);
      const origin = new URL(served.url).origin;
      expect((await fetch(`${origin}/shrinkbench-run=run-1/`)).status).toBe(404);
      expect((await fetch(served.url, { method: "POST" })).status).toBe(404);
      expect(served.requests).toBe(2);
    } finally {
      await served.close();
    }
    await expect(fetch(served.url)).rejects.toThrow();
  });

  it("hands a context over the limit back for upload, whole and in order", async () => {
    const parts = [bytes(40, 1), bytes(40, 2), bytes(40, 3)];
    const result = await serveContext(chunked(...parts), "run-1", 50);
    if (!("upload" in result)) throw new Error("expected an upload");
    expect((await readAll(result.upload)).equals(Buffer.concat(parts))).toBe(true);
  });
});

describe("tarFileBytes", () => {
  it("sums the regular files of a tar, not its headers, directories, links or pax records", async () => {
    const { pack } = await import("tar-stream");
    const p = pack();
    p.entry({ name: "Dockerfile", mtime: new Date(0) }, "FROM scratch\n");
    p.entry({ name: "scripts", type: "directory", mtime: new Date(0) });
    p.entry({ name: "scripts/a.py", mtime: new Date(0) }, "x".repeat(1000));
    p.entry({ name: "link", type: "symlink", linkname: "scripts/a.py", mtime: new Date(0) });
    // A name too long for ustar: tar-stream writes a pax header with data of its own.
    p.entry({ name: `${"d".repeat(120)}/${"f".repeat(120)}.txt`, mtime: new Date(0) }, "yz");
    p.finalize();
    const tar = await readAll(p as unknown as Readable);
    expect(tarFileBytes(tar)).toBe(13 + 1000 + 2);
  });
});

// Reading `docker save` straight off an engine's unix socket (a fake engine: an HTTP
// server on a socket of the test's own).

import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openImageArchive } from "../../../src/docker/archive/open.js";
import { scanImageArchive } from "../../../src/image/archive/scan.js";
import { collectImage } from "../../../src/image/collect.js";
import { bigLayers, readLayers } from "../../helpers/archive.js";
import { chunked, classicSave } from "../../fixtures/tar-fixtures.js";

const { layers } = bigLayers();

describe("openImageArchive on a unix socket", () => {
  let dir: string;
  let server: Server;
  let archive: Buffer;
  let socketPath: string;
  const requests: string[] = [];

  beforeAll(async () => {
    archive = (await classicSave(layers)).archive;
    dir = mkdtempSync(join(tmpdir(), "shrinkbench-sock-"));
    socketPath = join(dir, "docker.sock");
    server = createServer((req, res) => {
      requests.push(req.url ?? "");
      if (req.url?.includes("/images/missing/get")) {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ message: "reference does not exist" }));
        return;
      }
      if (req.url?.includes("/images/cut/get")) {
        res.writeHead(200, { "Content-Type": "application/x-tar" });
        res.write(archive.subarray(0, 100_000));
        setTimeout(() => res.destroy(), 10);
        return;
      }
      // chunked, unless a length is given
      res.writeHead(200, {
        "Content-Type": "application/x-tar",
        ...(req.url?.includes("/length/") ? { "Content-Length": archive.length } : {}),
      });
      let i = 0;
      const next = () => {
        // uneven writes, so HTTP chunks and socket reads fall anywhere
        while (i < archive.length) {
          const n = 1000 + ((i * 7919) % 90_000);
          const ok = res.write(archive.subarray(i, i + n));
          i += n;
          if (!ok) return void res.once("drain", next);
        }
        res.end();
      };
      next();
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const docker = (version?: string) =>
    ({
      modem: { socketPath, ...(version ? { version } : {}) },
      getImage: () => {
        throw new Error("not over dockerode");
      },
    }) as unknown as Parameters<typeof openImageArchive>[0];

  it("streams the save archive straight off the socket, to a fast and to a slow reader", async () => {
    const expected = await readLayers(chunked(archive));
    for (const delay of [false, true]) {
      const input = await openImageArchive(docker(), "img:latest");
      const { info, seen } = await readLayers(input, delay);
      expect(info.layers).toEqual(expected.info.layers);
      expect([...seen.entries()].sort()).toEqual([...expected.seen.entries()].sort());
    }
    const input = await openImageArchive(docker("v1.41"), "img:latest");
    await scanImageArchive(input);
    expect(requests.at(-1)).toBe("/v1.41/images/img:latest/get");
  });

  it("reads a length-delimited body too", async () => {
    const input = await openImageArchive(docker("length"), "img");
    const c = await collectImage(input, "img", { gzip: false });
    expect(c.layers).toHaveLength(2);
  });

  it("gives the engine's message when the image is missing, and fails on a cut stream", async () => {
    await expect(openImageArchive(docker(), "missing")).rejects.toThrow(
      /cannot export image missing: \(HTTP 404\) reference does not exist/,
    );
    const input = await openImageArchive(docker(), "cut");
    await expect(collectImage(input, "cut", { gzip: false })).rejects.toThrow(
      /closed the connection before the archive's end/,
    );
  });
});

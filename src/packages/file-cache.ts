// The proxy's file cache: each upstream file is downloaded once per run into a cache folder
// (a temporary one, or `--wheel-cache DIR` kept across runs), streamed to disk as it arrives,
// and every client reads the growing file, so many rungs installing one wheel cost one
// download. A file is checked (length, the digest its link names) before it counts as cached.

import { createHash, randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import type * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { maskUrl } from "./pip-sources.js";
import { decoded, errorCode, UpstreamDown, type UpstreamClient } from "./upstream.js";

/** A digest a page's link names (`#sha256=…`). */
export interface ExpectedDigest {
  algo: string;
  hex: string;
}

/**
 * One download into the cache folder, readable while it is being written: clients read the
 * part file up to `written`, then wait for more.
 */
export class Download {
  status = 0;
  contentType = "application/octet-stream";
  size?: number;
  written = 0;
  finished = false;
  error?: string;
  /** The part file while downloading; after it, the cache file. */
  partPath?: string;
  dataPath?: string;
  fromDisk = false;
  /** Settles when the status is known. */
  ready: Promise<void>;
  private markReady!: () => void;
  private waiters: (() => void)[] = [];
  constructor() {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }
  setReady(): void {
    this.markReady();
  }
  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

interface CacheMeta {
  url: string;
  size: number;
  sha256: string;
  contentType: string;
  fetchedAt: string;
}

export class FileCache {
  /** Files downloaded from upstream in this run. */
  downloads = 0;
  /** Files served from the cache folder without an upstream request. */
  diskHits = 0;
  /** Asks answered by a download this run had started already. */
  memoryHits = 0;
  private readonly files = new Map<string, Download>();
  private dir = "";
  private temporary = false;

  constructor(private readonly upstream: UpstreamClient) {}

  /** Prepares the cache folder: `cacheDir`, or a temporary one removed on close. */
  async open(cacheDir?: string): Promise<void> {
    if (cacheDir) {
      this.dir = path.resolve(cacheDir);
      await fsp.mkdir(path.join(this.dir, "files"), { recursive: true });
    } else {
      this.dir = await fsp.mkdtemp(path.join(os.tmpdir(), "shrinkbench-proxy-"));
      this.temporary = true;
      await fsp.mkdir(path.join(this.dir, "files"));
    }
  }

  /** The download of `url`, started on the first ask. */
  fetch(url: string, expected?: ExpectedDigest): Download {
    let dl = this.files.get(url);
    if (dl) {
      this.memoryHits++;
      return dl;
    }
    dl = new Download();
    this.files.set(url, dl);
    void this.download(url, dl, expected);
    return dl;
  }

  /** Drops a failed download, so the next ask tries again. */
  forget(url: string, dl: Download): void {
    if (this.files.get(url) === dl) this.files.delete(url);
  }

  private async download(url: string, dl: Download, expected?: ExpectedDigest): Promise<void> {
    const key = createHash("sha256").update(url).digest("hex");
    const dataPath = path.join(this.dir, "files", key);
    const metaPath = `${dataPath}.json`;
    // 1. The cache folder.
    try {
      const meta = JSON.parse(await fsp.readFile(metaPath, "utf8")) as CacheMeta;
      const st = await fsp.stat(dataPath);
      const digestOk = !expected || expected.algo !== "sha256" || expected.hex === meta.sha256;
      if (st.size === meta.size && meta.url === maskUrl(url) && digestOk) {
        Object.assign(dl, {
          status: 200,
          contentType: meta.contentType,
          size: meta.size,
          written: meta.size,
          dataPath,
          finished: true,
          fromDisk: true,
        });
        this.diskHits++;
        dl.setReady();
        dl.notify();
        return;
      }
    } catch {
      // Not cached (or an unreadable entry): download it.
    }
    // 2. Upstream, into a part file that clients read while it grows.
    const partPath = `${dataPath}.${process.pid}.${randomBytes(4).toString("hex")}.part`;
    // Set before the rename, so a client that finds the part file gone opens the cache file.
    dl.dataPath = dataPath;
    let handle: fsp.FileHandle | undefined;
    try {
      const { res } = await this.upstream.get(url, { accept: "*/*" });
      dl.status = res.statusCode ?? 502;
      if (dl.status !== 200) {
        res.resume();
        dl.error = `upstream answered ${dl.status}`;
        if (dl.status >= 500) dl.status = 502;
        else if (dl.status !== 401 && dl.status !== 403) dl.status = 404;
        dl.finished = true;
        dl.setReady();
        dl.notify();
        return;
      }
      const encoded =
        res.headers["content-encoding"] && res.headers["content-encoding"] !== "identity";
      const length = Number(res.headers["content-length"]);
      dl.size =
        !encoded && Number.isFinite(length) && res.headers["content-length"] !== undefined
          ? length
          : undefined;
      dl.contentType = String(res.headers["content-type"] ?? "application/octet-stream");
      handle = await fsp.open(partPath, "w");
      dl.partPath = partPath;
      this.downloads++;
      dl.setReady();
      const sha = createHash("sha256");
      const check = expected && expected.algo !== "sha256" ? tryHash(expected.algo) : undefined;
      // Clients get every byte but the latest chunk until the whole file is checked (size,
      // digest): a bad download reaches them cut short, never complete with the wrong bytes.
      let total = 0;
      for await (const chunk of decoded(res) as AsyncIterable<Buffer>) {
        await handle.write(chunk);
        sha.update(chunk);
        check?.update(chunk);
        dl.written = total;
        total += chunk.length;
        dl.notify();
      }
      await handle.close();
      handle = undefined;
      const sha256 = sha.digest("hex");
      if (dl.size !== undefined && total !== dl.size) {
        throw new Error(`upstream sent ${total} of ${dl.size} bytes`);
      }
      const got = expected?.algo === "sha256" ? sha256 : check?.digest("hex");
      if (expected && got !== undefined && got !== expected.hex) {
        throw new Error(
          `${expected.algo} mismatch: the page says ${expected.hex}, the file is ${got}`,
        );
      }
      await fsp.rename(partPath, dataPath);
      const meta: CacheMeta = {
        url: maskUrl(url),
        size: total,
        sha256,
        contentType: dl.contentType,
        fetchedAt: new Date().toISOString(),
      };
      const metaPart = `${metaPath}.${randomBytes(4).toString("hex")}.part`;
      await fsp.writeFile(metaPart, JSON.stringify(meta));
      await fsp.rename(metaPart, metaPath);
      dl.size = total;
      dl.written = total;
      dl.finished = true;
      dl.notify();
    } catch (e) {
      await handle?.close().catch(() => undefined);
      await fsp.rm(partPath, { force: true }).catch(() => undefined);
      dl.error =
        e instanceof UpstreamDown
          ? `upstream unreachable (${e.message})`
          : `download failed: ${errorCode(e)}`;
      if (!dl.status || dl.status === 200) dl.status = e instanceof UpstreamDown ? 404 : 502;
      dl.finished = true;
      this.forget(url, dl);
      dl.setReady();
      dl.notify();
    }
  }

  /** Waits a moment for downloads in flight (their sockets are gone), then removes a temporary folder. */
  async close(): Promise<void> {
    await Promise.all(
      [...this.files.values()].map((d) =>
        d.finished ? undefined : Promise.race([d.wait(), delay(2000)]),
      ),
    );
    if (this.temporary && this.dir)
      await fsp.rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function tryHash(algo: string) {
  try {
    return createHash(algo);
  } catch {
    return undefined;
  }
}

/** Streams a download to a client: what is written so far, then each new piece as it lands. */
export async function tail(dl: Download, res: http.ServerResponse): Promise<void> {
  let handle: fsp.FileHandle | undefined;
  const openData = async () => {
    // The part file is renamed when complete; an open handle survives the rename.
    if (!dl.finished && dl.partPath) {
      try {
        return await fsp.open(dl.partPath, "r");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    if (!dl.dataPath) throw new Error(dl.error ?? "download failed");
    return fsp.open(dl.dataPath, "r");
  };
  try {
    handle = await openData();
    const buf = Buffer.allocUnsafe(256 * 1024);
    let pos = 0;
    for (;;) {
      while (pos < dl.written) {
        const { bytesRead } = await handle.read(
          buf,
          0,
          Math.min(buf.length, dl.written - pos),
          pos,
        );
        if (bytesRead === 0) break;
        pos += bytesRead;
        if (!res.write(Buffer.from(buf.subarray(0, bytesRead)))) {
          await new Promise<void>((resolve) => {
            const done = () => {
              res.off("drain", done);
              res.off("close", done);
              resolve();
            };
            res.on("drain", done);
            res.on("close", done);
          });
        }
        if (res.destroyed) return;
      }
      if (dl.error) {
        res.destroy();
        return;
      }
      if (dl.finished && pos >= dl.written) break;
      // No await between the check above and this registration: a notify cannot slip by.
      await dl.wait();
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

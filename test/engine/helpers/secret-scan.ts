// Searches for a credential wherever a run could have left it: an image's `docker save` stream
// (gzip layers unpacked), a folder tree on disk, a results folder. Shared by the tests that prove
// credentials stay on the host (secrets, remote engine, wheel references).
import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import * as zlib from "node:zlib";
import type Docker from "dockerode";
import tar from "tar-stream";

export interface TokenScanner {
  push(chunk: Buffer): void;
  readonly hits: number;
}

/** Counts the token in a stream of chunks, across chunk boundaries. */
export function tokenScanner(token: string): TokenScanner {
  const needle = Buffer.from(token);
  let carry = Buffer.alloc(0);
  let hits = 0;
  return {
    push(chunk: Buffer) {
      const buf = Buffer.concat([carry, chunk]);
      for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) hits++;
      // Shorter than the needle: a hit is never counted twice.
      carry = buf.subarray(Math.max(0, buf.length - needle.length + 1));
    },
    get hits() {
      return hits;
    },
  };
}

export interface ImageScan {
  /** Entries of the save archive (layers, config, manifest). */
  entries: number;
  /** Entries that were gzip and were unpacked. */
  gzipEntries: number;
  /** Hits in the raw save stream. */
  rawHits: number;
  /** Hits inside the unpacked gzip entries. */
  gzipHits: number;
}

/** The token in an image's `docker save` stream: every byte, and every gzip entry unpacked. */
export async function scanImage(docker: Docker, id: string, token: string): Promise<ImageScan> {
  const extract = tar.extract();
  const stream = (await docker.getImage(id).get()) as NodeJS.ReadableStream;
  const raw = tokenScanner(token);
  stream.on("data", (c: Buffer) => raw.push(c));
  stream.pipe(extract as unknown as NodeJS.WritableStream);
  let entries = 0;
  let gzipEntries = 0;
  let gzipHits = 0;
  for await (const entry of extract) {
    entries++;
    const unzipped = tokenScanner(token);
    let gunzip: zlib.Gunzip | undefined;
    let done: Promise<unknown> | undefined;
    let first = true;
    for await (const c of entry as AsyncIterable<Buffer>) {
      // gzip is decided by the entry's first bytes only (a later chunk may start with them).
      if (first && c.length > 2 && c[0] === 0x1f && c[1] === 0x8b) {
        gzipEntries++;
        gunzip = zlib.createGunzip();
        gunzip.on("data", (d: Buffer) => unzipped.push(d));
        done = finished(gunzip);
      }
      first = false;
      gunzip?.write(c);
    }
    gunzip?.end();
    await done;
    gzipHits += unzipped.hits;
  }
  return { entries, gzipEntries, rawHits: raw.hits, gzipHits };
}

/** Files under `dir` that contain the token (grep -r, devices skipped); [] when none. */
export function grepTree(dir: string, token: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "grep",
      ["-rlaF", "-D", "skip", "--", token, dir],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => {
        // grep: 0 found, 1 none found, 2 trouble (unreadable files are trouble we can't ignore).
        const code = err ? (err as { code?: number }).code : 0;
        if (code === 0 || code === 1) resolve(stdout.split("\n").filter((l) => l !== ""));
        else reject(err);
      },
    );
  });
}

/** Every file below `dir`, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

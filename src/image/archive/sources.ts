// Where an image to inspect comes from when no engine is asked: a save archive on disk
// (`docker save` or `podman save`, classic or OCI layout, optionally gzip-compressed whole),
// an OCI image-layout directory (`oci:DIR`), or a stream on stdin (`-`). Each becomes an
// `ArchiveInput` for scan.ts, read once, with bounded memory: a directory is streamed as a
// tar of its files, one file at a time.

import { createReadStream, existsSync, statSync } from "node:fs";
import { open, readdir } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { InputError } from "../../errors.js";
import type { ArchiveInput } from "./types.js";

export type ImageSource =
  | { kind: "engine"; ref: string }
  /** `ref`: which image of a multi-image archive (a RepoTag or ref name); the first otherwise. */
  | { kind: "archive"; file: string; ref?: string }
  | { kind: "oci-dir"; dir: string; ref?: string }
  | { kind: "stdin" };

/**
 * Reads a source argument: "-" is stdin; "oci:DIR" an OCI layout directory;
 * "docker-archive:FILE" or "oci-archive:FILE" (podman's and skopeo's names) a save archive;
 * an existing file a save archive, an existing directory with an index.json an OCI layout;
 * anything else an image of the engine.
 */
export function parseImageSource(arg: string, exists = existsSync): ImageSource {
  if (arg === "-") return { kind: "stdin" };
  if (arg.trim() === "") {
    throw new InputError(
      "no image named",
      "give an image, a save archive, oci:DIR, or - for stdin",
    );
  }
  const prefixed = /^(oci|docker-archive|oci-archive):(.+)$/.exec(arg);
  if (prefixed) {
    const [, scheme, rest] = prefixed as unknown as [string, string, string];
    // podman and skopeo allow PATH:REFERENCE; a path that exists as written is taken whole
    let path = rest;
    let ref: string | undefined;
    const colon = rest.indexOf(":");
    if (!exists(rest) && colon > 0) {
      path = rest.slice(0, colon);
      ref = rest.slice(colon + 1);
    }
    const refPart = ref ? { ref } : {};
    return scheme === "oci"
      ? { kind: "oci-dir", dir: path, ...refPart }
      : { kind: "archive", file: path, ...refPart };
  }
  if (exists(arg)) {
    const isDir = statSync(arg).isDirectory();
    if (isDir) return { kind: "oci-dir", dir: arg };
    return { kind: "archive", file: arg };
  }
  return { kind: "engine", ref: arg };
}

/** What a source is called in a report. */
export function sourceName(source: ImageSource): string {
  switch (source.kind) {
    case "engine":
      return source.ref;
    case "archive":
      return source.file;
    case "oci-dir":
      return `oci:${source.dir}`;
    default:
      return "-";
  }
}

/** Opens a source that needs no engine. */
export async function openArchiveSource(
  source: Exclude<ImageSource, { kind: "engine" }>,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<ArchiveInput> {
  if (source.kind === "stdin") return gunzipIfCompressed(stdin);
  if (source.kind === "archive") {
    const head = await readHead(source.file);
    const stream = createReadStream(source.file, { highWaterMark: 256 * 1024 });
    return head[0] === 0x1f && head[1] === 0x8b
      ? stream.pipe(createGunzip({ chunkSize: 256 * 1024 }))
      : stream;
  }
  return ociDirectoryTar(source.dir);
}

async function readHead(file: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(file, "r");
  } catch (err) {
    throw new InputError(
      `${file}: cannot read the image archive: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      "give a file written by `docker save` or `podman save`",
    );
  }
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head;
  } finally {
    await handle.close();
  }
}

/** A stream whose first bytes say gzip is gunzipped on the way (`docker save | gzip`). */
async function* gunzipIfCompressed(input: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  const it = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && first.value.length < 2) {
    const more = await it.next();
    if (more.done) break;
    first = {
      done: false,
      value: Buffer.concat([toBuffer(first.value), toBuffer(more.value)]),
    };
  }
  if (first.done) return;
  const head = toBuffer(first.value);
  const rest = (async function* () {
    yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield toBuffer(r.value);
    }
  })();
  if (head[0] === 0x1f && head[1] === 0x8b) {
    yield* Readable.from(rest).pipe(createGunzip({ chunkSize: 256 * 1024 }));
  } else {
    yield* rest;
  }
}

function toBuffer(b: Buffer | string): Buffer {
  return typeof b === "string" ? Buffer.from(b) : b;
}

/**
 * An OCI image-layout directory as a tar stream (oci-layout, index.json, blobs/...), files
 * streamed one at a time with backpressure, so memory stays one read buffer per file.
 */
export function ociDirectoryTar(dir: string): ArchiveInput {
  if (!existsSync(join(dir, "index.json"))) {
    throw new InputError(
      `${dir}: not an OCI image layout (no index.json)`,
      "give a directory written by `skopeo copy ... oci:DIR` or `podman save --format oci-dir`, " +
        "or a save archive (a .tar file)",
    );
  }
  const pack = tar.pack();
  const files = async (): Promise<string[]> => {
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
        a.name < b.name ? -1 : 1,
      )) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) out.push(p);
      }
    };
    await walk(dir);
    return out;
  };
  (async () => {
    for (const file of await files()) {
      const name = relative(dir, file).split(sep).join("/");
      const size = statSync(file).size;
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name, size, type: "file" }, (err) =>
          err ? reject(err) : resolve(),
        );
        const read = createReadStream(file, { highWaterMark: 256 * 1024 });
        read.once("error", reject);
        read.pipe(entry);
      });
    }
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as NodeJS.ReadableStream;
}

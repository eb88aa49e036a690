// Shared helpers of engine tests: build an image from an in-memory context, list the file
// tree of an image through `docker export`, and remove what a test created by its label.

import { createHash, randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import Docker from "dockerode";
import tar from "tar-stream";
import { serveContext } from "../../../src/docker/context-url.js";
import { noteServedContext, removeLeftovers } from "../../../src/docker/leftovers.js";
import { markDockerfile } from "../../../src/ladder/run-marks.js";
import { testBuilder } from "./run.js";

export const RUN_LABEL = "org.shrinkbench.run";
export const SLIM = "shrinkbench/python:3.11-slim";

export function engine(): Docker {
  return new Docker();
}

/** A fresh run id, e.g. "test-squash-1a2b3c". */
export function newRunId(what: string): string {
  return `test-${what}-${randomBytes(3).toString("hex")}`;
}

export interface BuildSpec {
  dockerfile: string;
  /** Extra files of the context. */
  files?: Record<string, string | Buffer>;
  labels: Record<string, string>;
  tag?: string;
}

/**
 * Builds with the tests' builder (testBuilder: BuildKit unless SHRINKBENCH_TEST_BUILDER says
 * classic), host network, no cache; resolves to the image id (BuildKit: the moby.image.id
 * message, which carries aux.ID too).
 */
export async function buildImage(docker: Docker, spec: BuildSpec): Promise<string> {
  const pack = tar.pack();
  // Labelled and marked as a run's builds are, so that removeByLabel finds every step's image
  // and cache record.
  const runId = spec.labels[RUN_LABEL];
  const dockerfile = runId
    ? markDockerfile(spec.dockerfile, {
        labels: spec.labels,
        runId,
        buildkit: testBuilder() === "buildkit",
      })
    : spec.dockerfile;
  const files = { Dockerfile: dockerfile, ...(spec.files ?? {}) };
  for (const [name, content] of Object.entries(files)) {
    pack.entry({ name, mtime: new Date(1_700_000_000_000), mode: 0o644 }, content);
  }
  pack.finalize();
  // As a run does it (context-url.ts): BuildKit fetches the context from 127.0.0.1 under the
  // run's path, so that removeByLabel finds its records too.
  const byUrl =
    runId && testBuilder() === "buildkit"
      ? await serveContext(pack as unknown as Readable, runId)
      : undefined;
  const from = Date.now();
  const body = byUrl ? ("upload" in byUrl ? byUrl.upload : Buffer.alloc(0)) : pack;
  const remote = byUrl && "served" in byUrl ? { remote: byUrl.served.url } : {};
  const stream = await docker.buildImage(body as unknown as NodeJS.ReadableStream, {
    ...remote,
    version: testBuilder() === "buildkit" ? "2" : "1",
    networkmode: "host",
    nocache: true,
    rm: true,
    forcerm: true,
    labels: spec.labels,
    ...(spec.tag ? { t: spec.tag } : {}),
  });
  const messages = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Record<string, unknown>[]) =>
      err ? reject(err) : resolve(out),
    );
  }).finally(() => (byUrl && "served" in byUrl ? byUrl.served.close() : undefined));
  if (byUrl && "served" in byUrl && runId) {
    // For removeByLabel: the unpacked copy of the context goes with the run's records.
    noteServedContext(runId, { from, until: Date.now(), fileBytes: byUrl.served.fileBytes });
  }
  const failed = messages.find((m) => m.error || m.errorDetail);
  const log = messages.map((m) => m.stream ?? "").join("");
  if (failed) throw new Error(`build failed: ${JSON.stringify(failed)}\n${log}`);
  const ids = messages.map((m) => (m.aux as { ID?: string } | undefined)?.ID).filter(Boolean);
  const id = ids[ids.length - 1];
  if (!id) throw new Error(`build gave no image id\n${log}`);
  await docker.getImage(id).inspect();
  return id;
}

/**
 * Removes containers, then images, carrying `org.shrinkbench.run=<runId>`, then the BuildKit
 * cache records its marked builds made.
 */
export async function removeByLabel(docker: Docker, runId: string): Promise<void> {
  await removeLeftovers(docker, { runId }, { images: true, cache: true }).catch(() => undefined);
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  for (const c of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
  for (let round = 0; round < 3; round++) {
    const images = await docker.listImages({ all: true, filters });
    if (images.length === 0) return;
    for (const img of images) {
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

export interface TreeEntry {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  sha256?: string;
  linkname?: string;
  mtime?: number;
}

/** Paths the engine writes into every container: left out of tree comparisons. */
export const CONTAINER_PATHS = new Set([
  ".dockerenv",
  "etc/hostname",
  "etc/hosts",
  "etc/resolv.conf",
  "etc/mtab",
  "dev",
  "dev/console",
  "dev/pts",
  "dev/shm",
  "proc",
  "sys",
]);
/** Directories whose mtime the container's own init layer changes. */
const INIT_TOUCHED = new Set(["", "etc", "dev"]);

/**
 * The file tree of an image, as `docker export` of a container created from it (not run)
 * shows it: path → type, mode, owner, size, sha256 of content, link target, mtime.
 * Hardlinks are resolved to the file they share content with.
 */
export async function exportTree(
  docker: Docker,
  image: string,
  runId: string,
): Promise<Map<string, TreeEntry>> {
  const container = await docker.createContainer({
    Image: image,
    Labels: { [RUN_LABEL]: runId },
    HostConfig: { NetworkMode: "none" },
  });
  try {
    const stream = await container.export();
    const extract = tar.extract();
    (stream as NodeJS.ReadableStream).pipe(extract as unknown as NodeJS.WritableStream);
    const tree = new Map<string, TreeEntry>();
    const links: [string, string][] = [];
    for await (const entry of extract) {
      const h = entry.header;
      const path = h.name.replace(/^\.?\/+/, "").replace(/\/+$/, "");
      const hash = createHash("sha256");
      for await (const chunk of entry as AsyncIterable<Buffer>) hash.update(chunk);
      if (CONTAINER_PATHS.has(path) || path.startsWith("dev/")) continue;
      const rec: TreeEntry = {
        type: h.type,
        mode: h.mode,
        uid: h.uid,
        gid: h.gid,
        size: h.size,
        ...(h.type === "file" ? { sha256: hash.digest("hex") } : {}),
        ...(h.type === "symlink" ? { linkname: h.linkname ?? "" } : {}),
        ...(INIT_TOUCHED.has(path) ? {} : { mtime: h.mtime.getTime() }),
      };
      if (h.type === "link") links.push([path, (h.linkname ?? "").replace(/^\.?\/+/, "")]);
      tree.set(path, rec);
    }
    for (const [path, target] of links) {
      const t = tree.get(target);
      const rec = tree.get(path) as TreeEntry;
      if (t) tree.set(path, { ...t, mode: rec.mode, mtime: t.mtime ?? 0 });
    }
    return tree;
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** The differences of two trees, as readable lines (empty when equal). */
export function diffTrees(a: Map<string, TreeEntry>, b: Map<string, TreeEntry>): string[] {
  const out: string[] = [];
  for (const [path, ea] of a) {
    const eb = b.get(path);
    if (!eb) out.push(`- ${path}`);
    else if (JSON.stringify(ea) !== JSON.stringify(eb)) {
      out.push(`~ ${path}: ${JSON.stringify(ea)} vs ${JSON.stringify(eb)}`);
    }
  }
  for (const path of b.keys()) if (!a.has(path)) out.push(`+ ${path}`);
  return out;
}

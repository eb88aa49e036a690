// The build context: a tar stream of the Dockerfile, the requirements, the helper scripts and,
// for the rungs that ask for it, the user's project folder. Entries come in a fixed order with
// fixed mtimes and owners, so the same inputs always give the same bytes.
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pack as tarPack } from "tar-stream";
import { isIgnored, parseDockerignore, type IgnoreRule } from "./dockerignore.js";
import type { ContextMode } from "../types.js";

const FIXED_MTIME = new Date(0);

export type ContextEntry =
  | { type: "file"; name: string; content: string | Buffer; mode?: number }
  | { type: "disk-file"; name: string; path: string; size: number; mode: number }
  | { type: "directory"; name: string; mode?: number }
  | { type: "symlink"; name: string; target: string };

export interface ContextSpec {
  dockerfile: string;
  requirements: string;
  constraints: string;
  /** Helper scripts, by file name, placed under scripts/. */
  scripts: Record<string, string>;
  mode: ContextMode;
  appDir?: string;
  /** The smoke test as files (smokeContextFiles), placed under smoke/ for the rungs that run it while building. */
  smoke?: Record<string, string>;
}

export interface BuildContext {
  stream: Readable;
  /** Bytes of tar written so far; final once the stream has ended. */
  bytes(): number;
}

/**
 * Lists the entries of the user's project folder, under `prefix` (app/ for the templates, the
 * top of the context for the user's own Dockerfile), honouring .dockerignore when asked.
 */
export async function appEntries(
  appDir: string,
  honourIgnore: boolean,
  prefix = "app/",
): Promise<ContextEntry[]> {
  let rules: IgnoreRule[] = [];
  if (honourIgnore) {
    try {
      const file = join(appDir, ".dockerignore");
      rules = parseDockerignore(await readFile(file, "utf8"), file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  const mayReinclude = rules.some((r) => r.negate);
  const entries: ContextEntry[] = [];
  async function walk(rel: string): Promise<void> {
    const names = (await readdir(join(appDir, rel))).sort();
    for (const name of names) {
      const relPath = rel ? `${rel}/${name}` : name;
      const full = join(appDir, relPath);
      const st = await lstat(full);
      const ignored = isIgnored(rules, relPath);
      if (st.isDirectory()) {
        if (ignored && !mayReinclude) continue;
        if (!ignored)
          entries.push({ type: "directory", name: `${prefix}${relPath}`, mode: st.mode & 0o7777 });
        await walk(relPath);
      } else if (ignored) {
        continue;
      } else if (st.isSymbolicLink()) {
        entries.push({
          type: "symlink",
          name: `${prefix}${relPath}`,
          target: await readlink(full),
        });
      } else if (st.isFile()) {
        entries.push({
          type: "disk-file",
          name: `${prefix}${relPath}`,
          path: full,
          size: st.size,
          mode: st.mode & 0o7777,
        });
      }
    }
  }
  await walk("");
  return entries;
}

export async function contextEntries(spec: ContextSpec): Promise<ContextEntry[]> {
  const entries: ContextEntry[] = [
    { type: "file", name: "Dockerfile", content: spec.dockerfile },
    { type: "file", name: "requirements.txt", content: spec.requirements },
    { type: "file", name: "constraints.txt", content: spec.constraints },
    { type: "directory", name: "scripts" },
  ];
  for (const name of Object.keys(spec.scripts).sort()) {
    entries.push({
      type: "file",
      name: `scripts/${name}`,
      content: spec.scripts[name]!,
      mode: 0o755,
    });
  }
  if (spec.smoke) {
    entries.push({ type: "directory", name: "smoke" });
    for (const name of Object.keys(spec.smoke).sort()) {
      entries.push({ type: "file", name: `smoke/${name}`, content: spec.smoke[name]! });
    }
  }
  // app/ always exists so that the templates' `COPY app/ /app/` works without --app.
  entries.push({ type: "directory", name: "app" });
  if (spec.mode !== "requirements" && spec.appDir) {
    entries.push(...(await appEntries(spec.appDir, spec.mode === "app-dockerignore")));
  }
  return entries;
}

/** Packs entries into a tar stream, reading disk files as the consumer pulls. */
export function packContext(entries: readonly ContextEntry[]): BuildContext {
  const pack = tarPack();
  let bytes = 0;
  // Count what the engine actually receives, without putting the pack into flowing mode.
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  const base = { mtime: FIXED_MTIME, uid: 0, gid: 0, uname: "root", gname: "root" };
  (async () => {
    for (const e of entries) {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        switch (e.type) {
          case "file":
            pack.entry({ ...base, name: e.name, mode: e.mode ?? 0o644 }, e.content, done);
            break;
          case "directory":
            pack.entry({ ...base, name: e.name, type: "directory", mode: e.mode ?? 0o755 }, done);
            break;
          case "symlink":
            pack.entry(
              { ...base, name: e.name, type: "symlink", linkname: e.target, mode: 0o777 },
              done,
            );
            break;
          case "disk-file": {
            const sink = pack.entry({ ...base, name: e.name, size: e.size, mode: e.mode }, done);
            const source = createReadStream(e.path);
            // A destroyed entry emits "error": without a listener that is an uncaught exception.
            sink.on("error", reject);
            // An entry closed early (the consumer went away) must not keep the file open.
            sink.on("close", () => source.destroy());
            source.on("error", (err) => sink.destroy(err)).pipe(sink);
            break;
          }
        }
      });
    }
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  pack.on("error", (err: Error) => counter.destroy(err));
  // When the consumer destroys the stream (a cancelled build, a rejected request), stop packing
  // rather than leave the packer and an open file waiting forever.
  let packed = false;
  pack.on("end", () => (packed = true));
  counter.on("close", () => {
    if (!packed) pack.destroy();
  });
  pack.pipe(counter);
  return { stream: counter, bytes: () => bytes };
}

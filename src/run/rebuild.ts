// Warm rebuilds (`--rebuild`): after a rung's cold build, build it again with the cache on and
// one application source file changed, as a developer's second `docker build` after an edit.
// With requirements copied and installed before the application code (every template does
// that), only the layers from `COPY app/` on are rebuilt: the number the "slim and fast" blog
// post measured (15.3 s before, about 1 s after putting requirements first).
import { readFile } from "node:fs/promises";
import { packContext, type ContextEntry } from "../ladder/context.js";
import type { Builder, Engine } from "../docker/engine.js";
import type { RungPlan } from "../ladder/plan.js";

/** The file a rebuild adds when the context has no application file to change. */
export const REBUILD_FILE = "app/shrinkbench_rebuild.py";

/**
 * The same context with one application file changed: the first `app/**.py` file (else the
 * first app file) gets a comment line appended; with no app file, REBUILD_FILE is added. The
 * user's folder is never touched: the change exists only in the rebuild's context.
 */
export async function changeOneAppFile(
  entries: readonly ContextEntry[],
  marker: string,
): Promise<{ entries: ContextEntry[]; changed: string }> {
  const appFiles = entries.filter(
    (e) => (e.type === "file" || e.type === "disk-file") && e.name.startsWith("app/"),
  );
  const target = appFiles.find((e) => e.name.endsWith(".py")) ?? appFiles[0];
  const line = `\n# shrinkbench --rebuild: ${marker}\n`;
  if (!target) {
    return {
      entries: [...entries, { type: "file", name: REBUILD_FILE, content: line.slice(1) }],
      changed: REBUILD_FILE,
    };
  }
  const old =
    target.type === "file"
      ? Buffer.from(target.content)
      : target.type === "disk-file"
        ? await readFile(target.path)
        : Buffer.alloc(0);
  const mode = target.type === "file" || target.type === "disk-file" ? target.mode : undefined;
  const changed: ContextEntry = {
    type: "file",
    name: target.name,
    content: Buffer.concat([old, Buffer.from(line)]),
    ...(mode !== undefined ? { mode } : {}),
  };
  return { entries: entries.map((e) => (e === target ? changed : e)), changed: target.name };
}

export interface RebuildOutcome {
  /** Wall clock of the warm build; undefined when it failed. */
  seconds?: number;
  error?: string;
  /** The file changed in the rebuild's context. */
  changed: string;
  log: string[];
}

/**
 * Builds the changed context with the cache on, times it and removes the image it made. Runs
 * right after the cold build, while its layers (and a multi-stage build's builder stage) are
 * still there to be reused.
 */
export async function measureRebuild(
  engine: Engine,
  plan: RungPlan,
  entries: readonly ContextEntry[],
  opts: {
    marker: string;
    builder?: Builder;
    signal?: AbortSignal;
    onLine?: (line: string) => void;
  },
): Promise<RebuildOutcome> {
  const { entries: changedEntries, changed } = await changeOneAppFile(entries, opts.marker);
  const context = packContext(changedEntries);
  const t0 = performance.now();
  const outcome = await engine.build({
    context: context.stream,
    builder: opts.builder,
    tag: `${plan.tag}-rebuild`,
    buildArgs: plan.buildArgs,
    labels: plan.labels,
    cache: true,
    signal: opts.signal,
    onLine: opts.onLine,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (outcome.imageId) await engine.removeImage(outcome.imageId).catch(() => undefined);
  return outcome.imageId
    ? { seconds, changed, log: outcome.log }
    : { error: outcome.error ?? "no image", changed, log: outcome.log };
}

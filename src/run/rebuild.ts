// Warm rebuilds (`--rebuild`): after a rung's cold build, build it again with the cache on, as a
// developer's next `docker build`. Two kinds:
//  - after an application change: one application source file changed. With requirements
//    copied and installed before the application code (every template does that), only the
//    layers from `COPY app/` on are rebuilt: the number the "slim and fast" blog post measured
//    (15.3 s before, about 1 s after putting requirements first);
//  - after a requirements change: one requirement added. The install runs again; what it still
//    has from the cold build is what a BuildKit cache mount of pip's cache kept (slim-cache-mount).
import { readFile } from "node:fs/promises";
import { packContext, type ContextEntry } from "../ladder/context.js";
import type { Builder, Engine } from "../docker/engine.js";
import type { RungPlan } from "../ladder/plan.js";

/**
 * What a warm rebuild changes: an application file, or the requirements (one added); "prime"
 * only marks the requirements file with a comment, so that the install runs once with the
 * cache on (see usesCacheMount).
 */
export type RebuildKind = "app" | "requirements" | "prime";

/**
 * Whether a Dockerfile mounts a BuildKit cache. A cold build (cache off) gives such a mount an
 * empty cache that is thrown away afterwards (checked on dockerd 20.10), so before the
 * requirements-change rebuild the install runs once, untimed, with the cache on: the state a
 * developer's earlier builds leave behind.
 */
export function usesCacheMount(dockerfile: string): boolean {
  return /^\s*RUN\s+(?:--\S+\s+)*--mount=(?:\S*,)?type=cache\b/im.test(dockerfile);
}

/**
 * Small pure-Python distributions; a requirements-change rebuild adds the first one the
 * requirements do not name already.
 */
export const ADDED_REQUIREMENTS = ["six", "idna", "packaging", "colorama", "iniconfig", "tomli"];

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
  /** Where the application is in the context: "app/" for the templates, "" for your own. */
  appPrefix = "app/",
  /** The file to change, when the caller knows it (your own Dockerfile: a file it copies). */
  appFile?: string,
): Promise<{ entries: ContextEntry[]; changed: string }> {
  const chosen = appFile
    ? entries.find((e) => (e.type === "file" || e.type === "disk-file") && e.name === appFile)
    : undefined;
  const appFiles = entries.filter(
    (e) =>
      (e.type === "file" || e.type === "disk-file") &&
      e.name.startsWith(appPrefix) &&
      e.name !== "Dockerfile" &&
      !/(^|\/)requirements[^/]*\.txt$/.test(e.name),
  );
  const target = chosen ?? appFiles.find((e) => e.name.endsWith(".py")) ?? appFiles[0];
  const line = `\n# shrinkbench --rebuild: ${marker}\n`;
  if (!target) {
    return {
      entries: [...entries, { type: "file", name: REBUILD_FILE, content: line.slice(1) }],
      changed: REBUILD_FILE,
    };
  }
  const changed = await appended(target, line);
  return { entries: entries.map((e) => (e === target ? changed : e)), changed: target.name };
}

/** A file entry with text appended, as an in-memory entry: the file on disk is never touched. */
async function appended(target: ContextEntry, text: string): Promise<ContextEntry> {
  const old =
    target.type === "file"
      ? Buffer.from(target.content)
      : target.type === "disk-file"
        ? await readFile(target.path)
        : Buffer.alloc(0);
  const mode = target.type === "file" || target.type === "disk-file" ? target.mode : undefined;
  const sep = old.length && old[old.length - 1] !== 0x0a ? "\n" : "";
  return {
    type: "file",
    name: target.name,
    content: Buffer.concat([old, Buffer.from(sep + text)]),
    ...(mode !== undefined ? { mode } : {}),
  };
}

/** The requirements file with a comment appended: its COPY changes, its requirements do not. */
async function markRequirements(
  entries: readonly ContextEntry[],
  marker: string,
  file = "requirements.txt",
): Promise<{ entries: ContextEntry[]; changed: string }> {
  const target = entries.find(
    (e) => (e.type === "file" || e.type === "disk-file") && e.name === file,
  );
  if (!target) throw new Error(`${file} is not in the build context`);
  const changed = await appended(target, `# shrinkbench --rebuild (prime): ${marker}\n`);
  return { entries: entries.map((e) => (e === target ? changed : e)), changed: file };
}

/** PEP 503 names of the requirement lines of a requirements file (options and comments skipped). */
export function requirementNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(line);
    if (m) names.add(m[1]!.toLowerCase().replace(/[-_.]+/g, "-"));
  }
  return names;
}

/**
 * The same context with one requirement added to the requirements file `file` (the first of
 * ADDED_REQUIREMENTS not already named). Only the rebuild's context changes.
 */
export async function addOneRequirement(
  entries: readonly ContextEntry[],
  file = "requirements.txt",
): Promise<{ entries: ContextEntry[]; changed: string; added: string }> {
  const target = entries.find(
    (e) => (e.type === "file" || e.type === "disk-file") && e.name === file,
  );
  if (!target) throw new Error(`${file} is not in the build context`);
  const text =
    target.type === "file"
      ? String(target.content)
      : target.type === "disk-file"
        ? await readFile(target.path, "utf8")
        : "";
  const present = requirementNames(text);
  const added = ADDED_REQUIREMENTS.find((n) => !present.has(n));
  if (!added) throw new Error(`${file} already names every requirement a rebuild could add`);
  const changed = await appended(target, `${added}  # added by shrinkbench --rebuild\n`);
  return { entries: entries.map((e) => (e === target ? changed : e)), changed: file, added };
}

export interface RebuildOutcome {
  /** Wall clock of the warm build; undefined when it failed. */
  seconds?: number;
  error?: string;
  /** What changed in the rebuild's context, e.g. "app/main.py" or "requirements.txt (+six)". */
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
    /** Default "app". */
    kind?: RebuildKind;
    /** For your own Dockerfile: where the application and the requirements file are. */
    appPrefix?: string;
    appFile?: string;
    requirementsFile?: string;
    /** The Dockerfile's path in the context (default: Dockerfile). */
    dockerfile?: string;
    builder?: Builder;
    signal?: AbortSignal;
    onLine?: (line: string) => void;
  },
): Promise<RebuildOutcome> {
  const { entries: changedEntries, changed } =
    opts.kind === "requirements"
      ? await addOneRequirement(entries, opts.requirementsFile).then((r) => ({
          ...r,
          changed: `${r.changed} (+${r.added})`,
        }))
      : opts.kind === "prime"
        ? await markRequirements(entries, opts.marker, opts.requirementsFile)
        : await changeOneAppFile(entries, opts.marker, opts.appPrefix, opts.appFile);
  const context = packContext(changedEntries);
  const t0 = performance.now();
  const outcome = await engine.build({
    context: context.stream,
    builder: opts.builder,
    tag: `${plan.tag}-rebuild`,
    ...(opts.dockerfile ? { dockerfile: opts.dockerfile } : {}),
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

// What makes everything a run builds findable by `clean`, whatever ends the run. Pure: a
// Dockerfile's text in, the text the engine builds out.
//
// - The classic builder commits an image after every step, and the build's `labels` reach only
//   the final image: a build killed midway (SIGKILL, an OOM kill, a CI timeout) leaves a chain
//   of untagged images that only the base's labels name. A LABEL step right after each FROM
//   labels every image committed after it, builder stages included. The value is written
//   literally: an `ARG` + `LABEL $ARG` pair would commit one unlabelled image for the ARG step,
//   and templates the user copies stay free of shrinkbench's labels (a copied label would let
//   `clean --all-runs` delete the user's own images).
// - BuildKit commits no intermediate images, but keeps a build cache record per step, and the
//   engine's /system/df names a record by the command that made it ("mount / from exec /bin/sh
//   -c <command>", "cached mount <target> from exec ..."). A shell comment naming the run at the
//   end of every shell-form RUN makes those records findable without any state kept by the run.
//
// Neither rewrite changes what the build does: a LABEL is metadata, a comment is not run.

/** The marker a BuildKit RUN carries, and that its cache records' descriptions then carry. */
export const RUN_MARK = "shrinkbench-run=";

/** Quotes a LABEL value for the Dockerfile: double quotes, with `\`, `"` and `$` escaped. */
function quoteLabelValue(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Line {
  text: string;
  /** Keyword of the instruction this physical line starts, uppercased; undefined for others. */
  starts?: string;
  /** Whether the instruction continues on the next physical line. */
  continues: boolean;
}

/** Physical lines with where instructions start, as the classic parser sees them (escape `\`). */
function scan(text: string): Line[] {
  const out: Line[] = [];
  let inside = false;
  let heredoc: string | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (heredoc !== undefined) {
      // A BuildKit heredoc body: nothing in it is an instruction.
      if (line.replace(/^\t+/, "") === heredoc) heredoc = undefined;
      out.push({ text: raw, continues: false });
      continue;
    }
    const trimmed = line.trim();
    const comment = trimmed.startsWith("#");
    let starts: string | undefined;
    if (!inside && !comment && trimmed !== "") starts = /^(\S+)/.exec(trimmed)![1]!.toUpperCase();
    // Comment and blank lines inside a continuation do not end it.
    const next: boolean = inside
      ? comment || trimmed === "" || /\\\s*$/.test(line)
      : starts !== undefined && /\\\s*$/.test(line);
    out.push({ text: raw, starts, continues: next });
    inside = next;
    const here = /<<-?\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?/.exec(line);
    if (!inside && starts !== undefined && here) heredoc = here[1];
  }
  return out;
}

/**
 * Adds `LABEL k="v" ...` after every FROM instruction (after its last line, when it continues).
 * Label keys must be plain (letters, digits, `.`, `_`, `-`); values are quoted and escaped.
 */
export function labelStages(dockerfile: string, labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return dockerfile;
  for (const [key] of entries) {
    if (!LABEL_KEY.test(key)) throw new Error(`label key ${JSON.stringify(key)} is not plain`);
  }
  const label = `LABEL ${entries.map(([k, v]) => `${k}=${quoteLabelValue(v)}`).join(" ")}`;
  return afterEachFrom(dockerfile, [label]);
}

/** Inserts `lines` after every FROM instruction (after its last line, when it continues). */
export function afterEachFrom(dockerfile: string, lines: readonly string[]): string {
  if (lines.length === 0) return dockerfile;
  const out: string[] = [];
  let pendingFrom = false;
  for (const line of scan(dockerfile)) {
    if (line.starts === "FROM") pendingFrom = true;
    out.push(line.text);
    if (pendingFrom && !line.continues) {
      out.push(...lines);
      pendingFrom = false;
    }
  }
  return out.join("\n");
}

/**
 * A cache mount with no id of its own gets one of the run's: BuildKit shares a cache mount
 * between every build on the engine that names the same id (by default, its target), so the
 * run's prune would take a pip cache the user's own builds fill, and another run's cold build
 * would find this run's downloads. The run's warm rebuilds still share it.
 */
function scopeCacheMounts(line: string, runId: string): string {
  return line.replace(/--mount=(\S+)/g, (flag, spec: string) => {
    const fields = spec.split(",");
    if (!fields.includes("type=cache") || fields.some((f) => f.startsWith("id="))) return flag;
    const target = fields.find((f) => /^(target|dst|destination)=/.test(f))?.replace(/^[^=]*=/, "");
    return `--mount=${spec},id=shrinkbench-${runId}:${target ?? ""}`;
  });
}

/**
 * Appends ` # shrinkbench-run=<runId>` to every shell-form RUN instruction (to its last line),
 * and gives its cache mounts ids of the run's (scopeCacheMounts). Exec-form RUNs
 * (`RUN ["cmd", ...]`) and heredoc RUNs get no comment: there it would be an argument or a line
 * of the script.
 */
export function markRuns(dockerfile: string, runId: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(runId))
    throw new Error(`run id ${JSON.stringify(runId)} is not plain`);
  const out: string[] = [];
  let inRun: "shell" | "other" | undefined;
  for (const scanned of scan(dockerfile)) {
    const line =
      scanned.starts === "RUN"
        ? { ...scanned, text: scopeCacheMounts(scanned.text, runId) }
        : scanned;
    if (line.starts) {
      if (line.starts !== "RUN") inRun = undefined;
      else {
        const rest = line.text.trim().replace(/^\S+\s*/, "");
        const command = rest.replace(/^(--\S+\s+)*/, "");
        inRun = command.startsWith("[") || /<<-?\s*["']?[A-Za-z_]/.test(rest) ? "other" : "shell";
      }
    }
    if (inRun === "shell" && !line.continues && line.text.trim() !== "") {
      out.push(`${line.text.replace(/\s+$/, "")} # ${RUN_MARK}${runId}`);
      inRun = undefined;
      continue;
    }
    if (!line.continues) inRun = undefined;
    out.push(line.text);
  }
  return out.join("\n");
}

/** The Dockerfile a rung's build sends: its stages labelled, and, for BuildKit, its RUNs marked. */
export function markDockerfile(
  dockerfile: string,
  opts: { labels: Record<string, string>; runId: string; buildkit: boolean },
): string {
  const labelled = labelStages(dockerfile, opts.labels);
  return opts.buildkit ? markRuns(labelled, opts.runId) : labelled;
}

/** The part of a cache record that tells whose it is. */
export interface CacheLineage {
  id: string;
  parent?: string;
  description: string;
}

const MARK_AT_END = new RegExp(`# ${RUN_MARK}([A-Za-z0-9._-]+)\\s*$`);

/**
 * Where a run's build context is served to a local engine (docker/context-url.ts): the engine's
 * record of the fetched context is described "http url <the URL>", so the path names the run.
 * `token` is random: no other process on the machine can guess the URL while it is served.
 */
export function contextUrlPath(runId: string, token: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(runId))
    throw new Error(`run id ${JSON.stringify(runId)} is not plain`);
  return `/${RUN_MARK}${runId}/${token}/context.tar`;
}

const CONTEXT_URL = new RegExp(
  `^http url http://127\\.0\\.0\\.1:\\d+/${RUN_MARK}([A-Za-z0-9._-]+)/`,
);

/**
 * The run a record's description names: a RUN or cache mount that markRuns marked, or a
 * build context served under contextUrlPath.
 */
export function markedRun(description: string): string | undefined {
  return MARK_AT_END.exec(description)?.[1] ?? CONTEXT_URL.exec(description)?.[1];
}

/** A record of a base image's own snapshot, shared by every build FROM it: never a run's. */
function isBaseRecord(r: CacheLineage): boolean {
  return /^(from local|pulled from)\b/.test(r.description);
}

/**
 * The cache records of one run (or, without a run id, of every run), from the engine's list:
 * - the records a marked RUN made, and its cache mounts (their descriptions end with the mark);
 * - the records built on top of those (a later COPY or RUN of the same stage: their cache key
 *   includes the marked step, so no other build made them);
 * - the records below them down to the base image (the WORKDIR and COPY steps before the first
 *   RUN), but never the base image's own record. BuildKit's prune skips a record while another
 *   record is built on it, so a later build that reused one keeps it.
 * - the record of a context served under contextUrlPath (a local engine's; it has no parent).
 * Records that nothing connects to a marked RUN (a stage with no RUN, such as the final stage
 * of a multi-stage rung; an uploaded context; the unpacked copy of any context) cannot be told
 * apart from anyone else's.
 */
export function runCacheRecords<T extends CacheLineage>(
  records: readonly T[],
  runId?: string,
): T[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  const children = new Map<string, T[]>();
  for (const r of records) {
    if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  }
  const ours = new Set<string>();
  const marked = records.filter((r) => {
    const run = markedRun(r.description);
    return run !== undefined && (runId === undefined || run === runId);
  });
  const down = [...marked];
  while (down.length) {
    const r = down.pop()!;
    if (ours.has(r.id)) continue;
    ours.add(r.id);
    down.push(...(children.get(r.id) ?? []));
  }
  for (const r of marked) {
    let parent = r.parent ? byId.get(r.parent) : undefined;
    while (parent && !isBaseRecord(parent) && !ours.has(parent.id)) {
      ours.add(parent.id);
      parent = parent.parent ? byId.get(parent.parent) : undefined;
    }
  }
  return records.filter((r) => ours.has(r.id));
}

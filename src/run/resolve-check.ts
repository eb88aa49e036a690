// The pre-build resolve: before the first rung builds, pip resolves the requirements once
// (`pip install --dry-run`) in a container of a rung's install image, against the same sources
// the builds use (the run's package server, host network). A requirement no source can satisfy
// stops the run with exit 2, naming the requirement, the sources tried and the versions that
// exist, instead of failing every rung one after another. A success is cached by the
// requirements' hash, the sources and the image id, so a second run of the same set costs
// nothing; any other failure of the check (pip too old, a build backend that needs more) is a
// note, and the rungs go ahead.
import { createHash } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Engine } from "../docker/engine.js";
import { InputError, at } from "../errors.js";
import { maskSources } from "../packages/pip-sources.js";
import { parsePipFailure, type PipFailure } from "../requirements/pip-errors.js";
import { directFiles } from "../requirements/direct-files.js";
import { normalizeName } from "../requirements/references.js";
import type { PackageSources, RequirementsSet } from "../types.js";

export interface ResolveCheckInput {
  engine: Engine;
  image: string;
  requirements: RequirementsSet;
  requirementsText: string;
  constraintsText: string;
  /** The sources as configured (credentials and all): part of the cache key, masked in messages. */
  sources: PackageSources;
  /** The same sources as the builds see them (the run's package server). */
  buildSources: PackageSources;
  labels: Record<string, string>;
  cache: string;
  timeoutMs?: number;
}

export interface ResolveCheckResult {
  seconds: number;
  cached: boolean;
  /** Set when the check could not tell (it never stops the run then). */
  note?: string;
}

/** pip's command-line flags for the sources the builds use. */
export function sourceFlags(s: PackageSources): string[] {
  const flags: string[] = [];
  if (s.noIndex) flags.push("--no-index");
  else if (s.indexUrl) flags.push("--index-url", s.indexUrl);
  for (const u of s.noIndex ? [] : s.extraIndexUrls) flags.push("--extra-index-url", u);
  for (const u of s.findLinks) flags.push("--find-links", u);
  return flags;
}

/** The sources as a user reads them, credentials masked. */
export function describeSources(s: PackageSources): string {
  const m = maskSources(s);
  const list = [
    ...(m.noIndex ? [] : [m.indexUrl ?? "https://pypi.org/simple/ (pip's default)"]),
    ...(m.noIndex ? [] : m.extraIndexUrls),
    ...m.findLinks.map((f) => `${f} (find-links)`),
  ];
  return list.length ? list.join(", ") : "none (--no-index without --find-links)";
}

/** The InputError for a requirement no source satisfies, naming its line when it is one. */
export function unsatisfiable(
  failure: PipFailure,
  requirements: RequirementsSet,
  sources: PackageSources,
): InputError {
  const tried = describeSources(sources);
  if (failure.kind === "conflict") {
    return new InputError(
      `${requirements.file}: the requirements conflict, no rung can install them: ${[failure.line, ...failure.causes].join("; ")} (sources: ${tried})`,
      "loosen one of the pins pip names, or drop one of the conflicting requirements",
    );
  }
  const f = failure as Extract<PipFailure, { kind: "no-match" }>;
  const name = normalizeName(/^[A-Za-z0-9._-]+/.exec(f.requirement)?.[0] ?? "");
  const req = requirements.requirements.find((r) => r.name === name);
  const where = req
    ? `${at(req.source.file, req.source.line)}: ${req.line}`
    : `${f.requirement} (a dependency of a requirement)`;
  const versions = f.versions.length ? f.versions.join(", ") : "none";
  return new InputError(
    `${where}: no source has a matching distribution for ${f.requirement}; sources tried: ${tried}; versions that exist there: ${versions}`,
    f.versions.length
      ? "pick a version that exists, or add the index that has it with --extra-index-url"
      : "check the name, or add the index that has the package with --extra-index-url or --find-links",
  );
}

/** What the package files the requirements name are: a local file changes with its content. */
async function directFilesIdentity(requirements: RequirementsSet): Promise<unknown[]> {
  return Promise.all(
    directFiles(requirements).map(async (f) => {
      if (f.location.kind === "remote") return f.key;
      const st = await stat(f.location.path).catch(() => undefined);
      return [f.key, st?.size, st?.mtimeMs];
    }),
  );
}

export async function resolveCheck(input: ResolveCheckInput): Promise<ResolveCheckResult> {
  const t0 = performance.now();
  const info = await input.engine.inspectImage(input.image);
  const key = createHash("sha256")
    .update(
      JSON.stringify([
        input.requirements.hash,
        // Not the flattened texts: their direct file URLs carry the package server's port.
        await directFilesIdentity(input.requirements),
        input.sources,
        info?.id ?? input.image,
      ]),
    )
    .digest("hex")
    .slice(0, 32);
  const file = join(input.cache, "resolved", `${key}.json`);
  try {
    await readFile(file, "utf8");
    return { seconds: (performance.now() - t0) / 1000, cached: true };
  } catch {
    // Not resolved before with these sources: resolve.
  }
  const dir = "/tmp/shrinkbench-check";
  const run = await input.engine.runContainer({
    image: input.image,
    cmd: [
      "python3",
      "-m",
      "pip",
      "install",
      "--dry-run",
      "--ignore-installed",
      "--no-cache-dir",
      "--no-input",
      "--disable-pip-version-check",
      "--progress-bar",
      "off",
      ...sourceFlags(input.buildSources),
      "-r",
      `${dir}/requirements.txt`,
      "-c",
      `${dir}/constraints.txt`,
    ],
    files: {
      [`${dir}/requirements.txt`]: input.requirementsText,
      [`${dir}/constraints.txt`]: input.constraintsText,
    },
    labels: input.labels,
    timeoutMs: input.timeoutMs ?? 600_000,
    network: "host",
  });
  const seconds = (performance.now() - t0) / 1000;
  if (run.exitCode === 0 && !run.timedOut) {
    try {
      await mkdir(join(input.cache, "resolved"), { recursive: true });
      await writeFile(
        file,
        JSON.stringify({ image: input.image, at: new Date().toISOString() }) + "\n",
      );
    } catch {
      // Without a cache the next run resolves again; nothing else.
    }
    return { seconds, cached: false };
  }
  const failure = parsePipFailure(run.output);
  if (failure && failure.kind !== "other") {
    throw unsatisfiable(failure, input.requirements, input.sources);
  }
  const why = run.timedOut
    ? "it did not finish in time"
    : failure
      ? `pip: ${failure.line}`
      : `exit ${run.exitCode}: ${run.output.trim().split("\n").at(-1) ?? ""}`;
  return {
    seconds,
    cached: false,
    note: `the pre-build resolve in ${input.image} could not tell whether the requirements install (${why}); the rungs try anyway`,
  };
}

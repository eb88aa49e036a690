// A run's package sources, opened in the mode the engines need (sources-mode.ts): the package
// server on this machine for local engines, or a wheelhouse fetched here and served on each
// engine for engines on other machines. The one call the run pipeline makes; what it returns
// is what the builds use (sources, and the requirements pointing at them), the notes for the
// record, and what the package server fetched.

import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { Engine } from "../docker/engine.js";
import { ShrinkbenchError } from "../errors.js";
import { directFiles, rewriteDirectFiles } from "../requirements/direct-files.js";
import { flattenConstraints, flattenRequirements } from "../requirements/flatten.js";
import type { PackageSources, RequirementsSet } from "../types.js";
import { serveWheelhouse } from "./engine-wheelhouse.js";
import { startIndexServer, type IndexServer } from "./index-server.js";
import type { ProxyStats } from "./proxy.js";
import { chooseSourcesMode, type SourcesMode, type SourcesRequest } from "./sources-mode.js";
import { parseTargetPython, targetKey, type TargetPython } from "./target-python.js";
import { probeBaseImage } from "./python-env.js";
import { fetchWheelhouse, type RunPip } from "./wheelhouse.js";

export interface OpenSourcesOptions {
  /** The sources as configured (host pip config, requirements options, flags). */
  sources: PackageSources;
  /** --sources; default auto. */
  request?: SourcesRequest;
  engines: readonly Engine[];
  /** The engines (hosts) on another machine: they decide the mode under auto. */
  remoteHosts: readonly string[];
  /** The base images the ladder's rungs use that are available (python is read from them). */
  baseImages: readonly string[];
  /**
   * The requirements: their direct file references (a wheel on disk, `name @ https://…`) are
   * served by the package server, and the texts the builds read point there. Without it,
   * `requirementsText` and `constraintsText` are used as they are.
   */
  requirements?: RequirementsSet;
  requirementsText?: string;
  constraintsText?: string;
  /** Labels for what is created on the engines (the run's label), so cleanup finds it. */
  labels: Record<string, string>;
  /** --wheel-cache */
  cacheDir?: string;
  onNote?: (note: string) => void;
  /** This machine's pip (tests). */
  runPip?: RunPip;
}

export interface RunSources {
  mode: SourcesMode;
  /** The sources as the builds must see them. */
  sources: PackageSources;
  /** The requirements file the builds read: direct file references point at the sources. */
  requirementsText: string;
  constraintsText: string;
  /** Notes for the record: the mode and why, unreachable upstreams (credentials masked). */
  readonly notes: string[];
  /** What the package server fetched upstream. */
  readonly proxy: ProxyStats;
  /** In wheelhouse mode: the files sent to each engine. */
  wheelhouse?: { files: number; bytes: number };
  close(): Promise<void>;
}

/** Reads the python of each distinct base image on the first engine (network none). */
async function readTargets(
  engine: Engine,
  images: readonly string[],
  labels: Record<string, string>,
) {
  const targets = new Map<string, TargetPython>();
  for (const image of new Set(images)) {
    let target: TargetPython;
    try {
      // The same probe as the marker check's: one container per base image, cached by image id.
      const probe = await probeBaseImage(engine, image, { labels, timeoutMs: 120_000 });
      target = parseTargetPython(probe.output);
    } catch (e) {
      throw new ShrinkbenchError(
        `cannot read the python of ${image} on ${engine.host}: ${(e as Error).message}`,
        "the wheelhouse is fetched for the base images' python: each needs python3 with pip",
      );
    }
    targets.set(targetKey(target), target);
  }
  return [...targets.values()];
}

export async function openRunSources(opts: OpenSourcesOptions): Promise<RunSources> {
  const choice = chooseSourcesMode(opts.request ?? "auto", opts.remoteHosts);
  const notes: string[] = [];
  const note = (n: string) => {
    notes.push(n);
    opts.onNote?.(n);
  };
  const files = opts.requirements ? directFiles(opts.requirements) : [];
  const server: IndexServer = await startIndexServer(opts.sources, {
    cacheDir: opts.cacheDir,
    onNote: note,
    directFiles: files,
  });
  // The texts as pip on this machine or an engine on it reads them (the package server's URLs).
  const texts = (urlOf: (f: (typeof files)[number]) => string) => {
    if (!opts.requirements) {
      return {
        requirementsText: opts.requirementsText ?? "",
        constraintsText: opts.constraintsText ?? "",
      };
    }
    const set = rewriteDirectFiles(opts.requirements, urlOf);
    return {
      requirementsText: flattenRequirements(set),
      constraintsText: flattenConstraints(set),
    };
  };
  let local: ReturnType<typeof texts>;
  try {
    local = texts((f) => server.urlOf(f)!);
  } catch (e) {
    await server.close();
    throw e;
  }
  if (choice.mode === "wheelhouse" && opts.baseImages.length === 0) {
    // Every rung will be SKIPPED (no base image): there is nothing to fetch a wheelhouse for.
    choice.mode = "server";
    choice.reason = "no base image is available to fetch a wheelhouse for";
  }
  if (choice.mode === "server") {
    if (opts.request === "server" || choice.reason !== "every engine is on this machine") {
      note(`package sources: the package server on this machine (${choice.reason})`);
    }
    return {
      mode: "server",
      sources: server.sources,
      ...local,
      notes,
      get proxy() {
        return server.proxy;
      },
      close: () => server.close(),
    };
  }

  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), "shrinkbench-wheelhouse-"));
  const cleanup = async () => {
    await server.close();
    await fsp.rm(dir, { recursive: true, force: true });
  };
  try {
    const targets = await readTargets(opts.engines[0]!, opts.baseImages, opts.labels);
    const fetched = await fetchWheelhouse({
      ...local,
      sources: server.sources,
      targets,
      dir,
      runPip: opts.runPip,
    });
    // Everything is fetched: nothing reaches the package server from here on.
    await server.close();
    const served = await serveWheelhouse(opts.engines, {
      dir,
      files: fetched,
      image: opts.baseImages[0]!,
      labels: opts.labels,
    });
    const bytes = fetched.reduce((n, f) => n + f.size, 0);
    note(
      `package sources: a wheelhouse (${choice.reason}): ${fetched.length} files, ${(bytes / 1e6).toFixed(1)} MB fetched once on this machine for python ${targets.map((t) => t.version).join(", ")}, sent to each engine and served to its builds on its own 127.0.0.1 (--no-index)`,
    );
    return {
      mode: "wheelhouse",
      sources: {
        noIndex: true,
        findLinks: [served.url],
        extraIndexUrls: [],
        trustedHosts: [],
      },
      // pip download keeps a direct reference's file under its own name in the wheelhouse.
      ...texts((f) => `${served.url.replace(/\/?$/, "/")}${encodeURIComponent(f.fileName)}`),
      notes,
      get proxy() {
        return server.proxy;
      },
      wheelhouse: { files: fetched.length, bytes },
      close: async () => {
        await served.stop();
        await cleanup();
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

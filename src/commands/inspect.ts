// `shrinkbench inspect`: where an image's bytes are (layers, wasted bytes, packages,
// duplicates, findings), read from the engine's `docker save` stream, or with no engine from
// a save archive (`./image.tar`), an OCI layout directory (`oci:DIR`) or stdin (`-`).
// With --ci (or any waste gate), it judges the image's waste instead and returns the exit
// code: 0 within, 1 over, 2 bad input.

import { existsSync } from "node:fs";
import { DockerEngine } from "../docker/docker-engine.js";
import type { Engine } from "../docker/engine.js";
import { resolveEndpoint } from "../docker/endpoint.js";
import { EXIT, InputError, ShrinkbenchError } from "../errors.js";
import {
  openArchiveSource,
  parseImageSource,
  sourceName,
  type ImageSource,
} from "../image/archive/sources.js";
import { inspectArchive } from "../image/collect.js";
import { summarizeInspection } from "../image/summary.js";
import type { InspectReport } from "../image/types.js";
import { renderInspect, type InspectFormat } from "../report/inspect.js";
import { gateReport, renderWasteGates } from "../report/waste-gates.js";
import { budgetForRung, budgetsFromFlags, budgetsFromRulesFile } from "../results/budget.js";
import { DIVE_CI_FILE, loadDiveCi, parseDiveCi } from "../results/dive-ci.js";
import { evaluateWaste, factsFromInspection, hasWasteLimits } from "../results/waste-gates.js";
import type { Output } from "./io.js";

export interface InspectOptions {
  /** An image of the engine, a save archive, `oci:DIR`, or `-` for stdin. */
  image: string;
  format: InspectFormat;
  /** Each layer's gzip size as a registry push sends it (slower). */
  gzip: boolean;
  /** Rows per list. */
  top: number;
  dockerHost?: string;
  /** --context NAME: a docker context, as `docker --context` (refused with dockerHost). */
  context?: string;
  env?: NodeJS.ProcessEnv;
  /** Judge the waste (the gates below, a rules file, or dive's defaults) and set the exit code. */
  ci?: boolean;
  maxWasted?: string;
  maxWastedPercent?: string;
  minEfficiency?: string;
  /** dive's .dive-ci rules file; with --ci and no rules given, ./.dive-ci when present. */
  ciConfig?: string;
  stdin?: NodeJS.ReadableStream;
}

/** Inspects and prints; returns the exit code. */
export async function inspectCommand(
  opts: InspectOptions,
  io: Pick<Output, "stdout">,
  engine?: Engine,
): Promise<number> {
  const gates = await loadGates(opts); // bad gates are reported before any image is read
  const source = parseImageSource(opts.image);
  // the gates read no gzip size: skip their cost
  const report = await inspectSource(source, gates ? { ...opts, gzip: false } : opts, engine);
  if (!gates) {
    io.stdout(renderInspect(report, opts.format, { top: opts.top }));
    return EXIT.ok;
  }
  const facts = factsFromInspection(summarizeInspection(report));
  const name = report.image.repoTags[0] ?? sourceName(source);
  const result = gateReport(name, evaluateWaste(gates.limits, facts), facts, gates.origins);
  io.stdout(renderWasteGates(result, opts.format));
  return result.passed ? EXIT.ok : EXIT.failed;
}

/** Reads the image from wherever it is. */
export async function inspectSource(
  source: ImageSource,
  opts: Pick<InspectOptions, "gzip" | "dockerHost" | "context" | "env" | "stdin"> & {
    keepFiles?: boolean;
  },
  engine?: Engine,
): Promise<InspectReport> {
  if (source.kind === "engine") {
    const e =
      engine ??
      new DockerEngine(
        resolveEndpoint({ host: opts.dockerHost, context: opts.context }, opts.env ?? process.env),
      );
    await e.info();
    if (!(await e.inspectImage(source.ref))) {
      throw new InputError(
        `no image ${source.ref} on ${e.host}`,
        "list images with `docker images`, or give a save archive (./image.tar), oci:DIR or - for stdin",
      );
    }
    return e.analyze(source.ref, { gzip: opts.gzip, keepFiles: opts.keepFiles ?? false });
  }
  const name = sourceName(source);
  try {
    const input = await openArchiveSource(source, opts.stdin);
    return await inspectArchive(input, name, {
      gzip: opts.gzip,
      keepFiles: opts.keepFiles ?? false,
      select: "ref" in source && source.ref ? source.ref : "",
    });
  } catch (err) {
    if (err instanceof InputError) throw err;
    // A malformed archive is bad input, not a fault of the engine or of shrinkbench.
    const message =
      err instanceof ShrinkbenchError || err instanceof Error ? err.message : String(err);
    throw new InputError(
      `${name}: cannot read the image: ${message.replace(/^image archive:? ?/, "")}`,
      "give a `docker save` or `podman save` archive (classic or OCI), or an OCI layout directory",
    );
  }
}

interface Gates {
  limits: ReturnType<typeof budgetForRung>;
  origins: string[];
}

async function loadGates(opts: InspectOptions): Promise<Gates | undefined> {
  const flags = budgetsFromFlags({
    maxWasted: opts.maxWasted,
    maxWastedPercent: opts.maxWastedPercent,
    minEfficiency: opts.minEfficiency,
  });
  let file = opts.ciConfig;
  if (!file && opts.ci && flags.length === 0 && existsSync(DIVE_CI_FILE)) file = DIVE_CI_FILE;
  if (!opts.ci && !file && flags.length === 0) return undefined;
  const origins = flags.map((f) => f.origin);
  const budgets = [...flags];
  if (file) {
    const rules = await loadDiveCi(file);
    budgets.unshift(...budgetsFromRulesFile(rules.limits, file));
    origins.unshift(...rules.rules.map((r) => `${r.key}: ${r.value} (${r.origin})`));
  } else if (flags.length === 0) {
    // --ci alone: dive's default rules, as `dive --ci` applies them
    const rules = parseDiveCi("rules:\n", "dive's defaults");
    budgets.push(...budgetsFromRulesFile(rules.limits, "dive's defaults"));
    origins.push(...rules.rules.map((r) => `${r.key}: ${r.value} (dive's default)`));
  }
  const limits = budgetForRung(budgets, "*");
  if (!hasWasteLimits(limits)) {
    throw new InputError(
      "inspect --ci: every rule is disabled",
      "give --max-wasted, --max-wasted-percent or --min-efficiency, or enable a rule in the rules file",
    );
  }
  return { limits, origins };
}

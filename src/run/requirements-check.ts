// A step of the run, before the first build: evaluate the requirements' environment markers for
// the interpreter each rung installs with (the builder's image, else the base's), read from the
// image by the probe. A requirement a marker leaves out is not expected by that rung's import
// test, and the run says which and why (record, notes, markdown, under the table).
import type { Engine } from "../docker/engine.js";
import { importSmokeTest, type SmokeTest } from "../ladder/smoke.js";
import type { BaseImages } from "../ladder/plan.js";
import { applicableRequirements, type LeftOut } from "../requirements/applicable.js";
import type { MarkerEnvironment } from "../requirements/markers.js";
import { InputError } from "../errors.js";
import { RUN_LABEL } from "../ladder/plan.js";
import type { Ladder, PackageSources, Requirement, RequirementsSet, RunRecord } from "../types.js";
import { resolveCheck } from "./resolve-check.js";
import type { RunSetup } from "./setup.js";
import { probePythonEnvironment } from "../packages/python-env.js";

export interface MarkerCheckInput {
  ladder: Ladder;
  bases: BaseImages;
  engines: readonly Engine[];
  requirements: readonly Requirement[];
  smoke: SmokeTest;
  labels: Record<string, string>;
  /** The probe cache folder (default: cacheDir()). */
  cache?: string;
}

export interface MarkerCheck {
  /** The smoke test a rung whose install runs in `image` must pass. */
  smokeFor(image: string): SmokeTest;
  /** Requirements a marker left out, with the install images it left them out for. */
  leftOut: (LeftOut & { images: string[] })[];
  /** The interpreter of each probed image. */
  environments: Record<string, MarkerEnvironment>;
  notes: string[];
}

/** The image a rung's pip runs in: the builder stage's, else the final stage's. */
export function installImage(rung: Ladder["rungs"][number], bases: BaseImages): string | undefined {
  const role = rung.builder ?? rung.base;
  if (bases.unavailable[rung.base] || (rung.builder && bases.unavailable[rung.builder])) {
    return undefined;
  }
  return bases.images[role];
}

export async function checkMarkers(input: MarkerCheckInput): Promise<MarkerCheck> {
  const notes: string[] = [];
  const environments: Record<string, MarkerEnvironment> = {};
  const byName = new Map<string, LeftOut & { images: string[] }>();
  const keptFor = new Map<string, string[]>();
  if (!input.requirements.some((r) => r.marker !== undefined)) {
    return { smokeFor: () => input.smoke, leftOut: [], environments, notes };
  }
  const images = new Set(input.ladder.rungs.flatMap((r) => installImage(r, input.bases) ?? []));
  for (const image of images) {
    let env: MarkerEnvironment | undefined;
    let failure = "";
    for (const engine of input.engines) {
      try {
        env = (
          await probePythonEnvironment(engine, image, { labels: input.labels, cache: input.cache })
        ).env;
        break;
      } catch (e) {
        failure = (e as Error).message;
      }
    }
    if (!env) {
      notes.push(
        `environment markers not evaluated for ${image} (${failure}): its rungs' import test expects every requirement`,
      );
      continue;
    }
    environments[image] = env;
    const { kept, leftOut } = applicableRequirements(input.requirements, env);
    keptFor.set(
      image,
      kept.map((r) => r.name),
    );
    for (const l of leftOut) {
      const known = byName.get(l.line);
      if (known) known.images.push(image);
      else byName.set(l.line, { ...l, images: [image] });
    }
  }
  const leftOut = [...byName.values()];
  for (const l of leftOut) {
    const where = l.images.length === images.size ? "the images' python" : l.images.join(", ");
    notes.push(`${l.name} left out by its marker for ${where}: ${l.why}`);
  }
  const smokeFor = (image: string): SmokeTest => {
    const names = keptFor.get(image);
    if (names === undefined || input.smoke.kind !== "imports") return input.smoke;
    return importSmokeTest(
      names.filter((n) => n !== ""),
      input.smoke.script,
    );
  };
  return { smokeFor, leftOut, environments, notes };
}

/** The table's note under the comparison: which requirements markers left out, and why. */
export function renderLeftOut(record: RunRecord): string {
  const left = record.requirements.leftOut ?? [];
  if (left.length === 0) return "";
  return [
    "",
    "Left out by environment markers (not installed, not import-tested):",
    ...left.map((l) => `  ${l.name}: ${l.why}`),
    "",
  ].join("\n");
}

export interface RequirementsCheck extends MarkerCheck {
  /** Puts what the check found into the record (requirements.leftOut, notes). */
  addTo(record: RunRecord): void;
}

/**
 * The run's step between opening the engines (and package server) and the first build: markers
 * for the images' python, then (unless --no-precheck) one resolve of the requirements against
 * the run's sources. Closes the setup when it throws, so a refused requirements file (exit 2)
 * leaves nothing open.
 */
export async function checkRequirements(
  prepared: {
    requirements: RequirementsSet;
    ladder: Ladder;
    smoke: SmokeTest;
    sources: PackageSources;
  },
  setup: Pick<RunSetup, "engines" | "bases" | "server" | "close">,
  options: { cache: string; precheck: boolean; onNote?: (note: string) => void },
): Promise<RequirementsCheck> {
  try {
    // The probe's and the resolve's containers are removed at once; the label is for `clean`.
    const labels = { [RUN_LABEL]: "requirements-check" };
    const markers = await checkMarkers({
      ladder: prepared.ladder,
      bases: setup.bases,
      engines: setup.engines,
      requirements: prepared.requirements.requirements,
      smoke: prepared.smoke,
      labels,
      cache: options.cache,
    });
    const notes = [...markers.notes];
    let resolve: NonNullable<RunRecord["requirements"]["resolve"]> | undefined;
    const image = prepared.ladder.rungs.map((r) => installImage(r, setup.bases)).find(Boolean);
    const engine = image && (await engineWith(setup.engines, image));
    if (options.precheck && image && engine) {
      // Only a verdict about the requirements stops the run; an engine hiccup here is a note.
      const done = await resolveCheck({
        engine,
        image,
        requirements: prepared.requirements,
        requirementsText: setup.server.requirementsText,
        constraintsText: setup.server.constraintsText,
        sources: prepared.sources,
        buildSources: setup.server.sources,
        labels,
        cache: options.cache,
      }).catch((e: unknown) => {
        if (e instanceof InputError) throw e;
        return {
          seconds: 0,
          cached: false,
          note: `the pre-build resolve did not run: ${(e as Error).message}`,
        };
      });
      resolve = { image, seconds: done.seconds, cached: done.cached };
      if (done.note) notes.push(done.note);
    }
    for (const n of notes) options.onNote?.(n);
    return {
      ...markers,
      notes,
      addTo(record) {
        if (markers.leftOut.length) record.requirements.leftOut = markers.leftOut;
        if (resolve) record.requirements.resolve = resolve;
        if (notes.length) record.notes = [...(record.notes ?? []), ...notes];
      },
    };
  } catch (e) {
    await setup.close();
    throw e;
  }
}

async function engineWith(engines: readonly Engine[], image: string): Promise<Engine | undefined> {
  for (const e of engines) {
    if (await e.inspectImage(image).catch(() => undefined)) return e;
  }
  return undefined;
}

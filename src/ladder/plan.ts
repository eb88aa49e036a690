// Planning: from a rung, the configured base images and the run's package sources to the
// exact build the engine will be asked for. Pure: the runner does the I/O.
import type {
  BaseImageRecord,
  BaseRole,
  ContextMode,
  PackageSources,
  PostStep,
  Rung,
} from "../types.js";
import { finalBase, mapBaseImages, roleOf } from "./yours.js";

export const RUN_LABEL = "org.shrinkbench.run";
export const RUNG_LABEL = "org.shrinkbench.rung";

/** Why a rung that needs BuildKit is SKIPPED under the classic builder. */
const NEEDS_BUILDKIT =
  "needs BuildKit (RUN --mount), and this run builds with the classic builder (--builder classic, or an engine without BuildKit)";

/** What a run knows about its base images: the configured name, and whether it is usable. */
export interface BaseImages {
  images: Record<BaseRole, string>;
  /** Roles whose image is not present on the engine (and could not be pulled), with why. */
  unavailable: Partial<Record<BaseRole, string>>;
  /** What each available role's tag pointed at (image id, registry digest, size). */
  resolved?: Partial<Record<BaseRole, BaseImageRecord>>;
}

export interface RungPlan {
  rung: Rung;
  /** Set when the rung cannot run here; the runner reports it SKIPPED with this reason. */
  skip?: string;
  template: string;
  buildArgs: Record<string, string>;
  baseImage: string;
  builderImage?: string;
  tag: string;
  labels: Record<string, string>;
  context: ContextMode;
  post: PostStep[];
}

export interface PlanInput {
  runId: string;
  bases: BaseImages;
  /** Sources as the builds must see them (already rewritten to the loopback server). */
  sources: PackageSources;
  /** The --app folder, when given. */
  appDir?: string;
  /** The run's builder; a rung that needs BuildKit is SKIPPED under the classic one. */
  builder?: "buildkit" | "classic";
}

/** Build args for pip's sources. Empty values are left out: pip reads an empty PIP_INDEX_URL as an index. */
export function sourceBuildArgs(sources: PackageSources): Record<string, string> {
  const args: Record<string, string> = {};
  const list = (values: readonly string[]) => values.filter((v) => v.trim() !== "").join(" ");
  if (sources.indexUrl?.trim()) args.PIP_INDEX_URL = sources.indexUrl;
  if (list(sources.extraIndexUrls)) args.PIP_EXTRA_INDEX_URL = list(sources.extraIndexUrls);
  if (list(sources.findLinks)) args.PIP_FIND_LINKS = list(sources.findLinks);
  if (list(sources.trustedHosts)) args.PIP_TRUSTED_HOST = list(sources.trustedHosts);
  if (sources.noIndex) args.PIP_NO_INDEX = "1";
  return args;
}

export function imageTag(rung: Rung, runId: string): string {
  return `shrinkbench/${rung.id}:${runId}`;
}

/**
 * A rung of the user's own Dockerfile: its build args are the ladder's and pip's sources (no
 * BASE_IMAGE: the Dockerfile names its own base), its base is what its final stage builds on
 * (after the config's base mapping). An unavailable base is the engine's to report: the build
 * FAILS with its message.
 */
function planOwnRung(rung: Rung, input: PlanInput): RungPlan {
  const { bases, runId } = input;
  const buildArgs = { ...rung.args, ...sourceBuildArgs(input.sources) };
  const text = mapBaseImages(rung.dockerfile!.text, bases.images).text;
  const final = finalBase(text, buildArgs);
  const baseImage = final.image ?? "scratch";
  const role = roleOf(final.image, bases.images);
  const planned: Rung = {
    ...rung,
    ...(role ? { base: role } : {}),
    ...(final.scratch ? { scratch: true } : {}),
  };
  let skip: string | undefined;
  if (rung.needs === "buildkit" && input.builder === "classic") {
    skip = NEEDS_BUILDKIT;
  }
  return {
    rung: planned,
    skip,
    template: rung.template,
    buildArgs,
    baseImage,
    tag: imageTag(rung, runId),
    labels: { [RUN_LABEL]: runId, [RUNG_LABEL]: rung.id },
    context: rung.context,
    post: rung.post,
  };
}

export function planRung(rung: Rung, input: PlanInput): RungPlan {
  if (rung.dockerfile) return planOwnRung(rung, input);
  const { bases, runId } = input;
  const baseImage = bases.images[rung.base];
  const builderImage = rung.builder ? bases.images[rung.builder] : undefined;
  const buildArgs: Record<string, string> = {
    ...rung.args,
    ...sourceBuildArgs(input.sources),
    BASE_IMAGE: baseImage,
  };
  if (builderImage) buildArgs.BUILDER_IMAGE = builderImage;

  let skip: string | undefined;
  for (const role of [rung.base, rung.builder]) {
    const why = role && bases.unavailable[role];
    if (why) {
      skip = `base image unavailable: ${role} (${bases.images[role!]}): ${why}`;
      break;
    }
  }
  if (!skip && rung.needs === "buildkit" && input.builder === "classic") {
    skip = NEEDS_BUILDKIT;
  }
  if (!skip && rung.context !== "requirements" && !input.appDir) {
    skip =
      rung.context === "app"
        ? "needs the project folder: pass --app DIR (this rung copies all of it, .dockerignore ignored)"
        : "needs the project folder: pass --app DIR (this rung copies it, honouring its .dockerignore)";
  }
  return {
    rung,
    skip,
    template: rung.template,
    buildArgs,
    baseImage,
    builderImage,
    tag: imageTag(rung, runId),
    labels: { [RUN_LABEL]: runId, [RUNG_LABEL]: rung.id },
    context: rung.context,
    post: rung.post,
  };
}

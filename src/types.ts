// The vocabulary of shrinkbench. Every other module is a small transformation between these.

/** The role a base image plays; the user's config maps each role to a concrete image. */
export type BaseRole = "full" | "slim" | "alpine";
export const BASE_ROLES: readonly BaseRole[] = ["full", "slim", "alpine"];

/** Where a line came from, so that every complaint can name the file and the line. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One requirement line of a requirements file, parsed. */
export interface Requirement {
  /** PEP 503 normalised distribution name, e.g. "scikit-learn". */
  name: string;
  /** The name as written, e.g. "Scikit_Learn". */
  rawName: string;
  extras: string[];
  /** Version specifier as written, e.g. ">=1.2,<2"; empty when unpinned. */
  specifier: string;
  /** Environment marker, e.g. `python_version < "3.12"`. */
  marker?: string;
  /** Direct reference (`name @ url`). */
  url?: string;
  /**
   * A direct reference to a package file on this machine (`./x.whl`, `name @ file:///x.whl`):
   * its absolute path, found when the requirements were read. The run serves it to the builds.
   */
  localFile?: string;
  /** The logical line as written (continuations joined, comment removed). */
  line: string;
  source: SourceLocation;
}

/** A pip option line given in a requirements file (`--index-url`, `--find-links`, ...). */
export interface PipOptionLine {
  option: string;
  value?: string;
  source: SourceLocation;
}

/** A requirements file with its `-r`/`-c` includes resolved. */
export interface RequirementsSet {
  /** Path of the top-level file, as given. */
  file: string;
  requirements: Requirement[];
  options: PipOptionLine[];
  /** Constraint lines from `-c` files: copied into the context, never imported by the smoke test. */
  constraints: Requirement[];
  /** sha256 over the files read, in order: the identity of the requirement set. */
  hash: string;
}

/** Where pip finds packages. URLs may carry credentials; mask them before printing. */
export interface PackageSources {
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  trustedHosts: string[];
  /** pip's --no-index / PIP_NO_INDEX: no index at all, only find-links. */
  noIndex?: boolean;
  /**
   * pip's `cert` / PIP_CERT: the CA bundle https indexes are verified with. The run's package
   * server verifies upstream TLS with it; builds never need it (they talk to 127.0.0.1).
   */
  cert?: string;
  /**
   * The host's .netrc (NETRC, else ~/.netrc, when it exists), which pip reads for credentials of
   * an index whose URL has none. The run's package server adds them to its upstream requests.
   */
  netrc?: string;
  /**
   * pip's `proxy` option (`pip config`, PIP_PROXY): the HTTP proxy to reach remote indexes
   * through, over the https_proxy/http_proxy variables (packages/outbound-proxy.ts).
   */
  proxy?: string;
}

/** Which files a rung's build context holds. */
export type ContextMode =
  /** requirements, smoke test and helper scripts only (the default). */
  | "requirements"
  /** plus the whole --app folder, ignoring its .dockerignore (the talk's first rung). */
  | "app"
  /** plus the --app folder, honouring its .dockerignore. */
  | "app-dockerignore";

/** A step applied to a built image before it is measured. */
export type PostStep = "squash";

/** A rung of a ladder: one Dockerfile variant, as data. */
export interface Rung {
  id: string;
  title: string;
  /** What the rung changes and why, for `shrinkbench list`. */
  description: string;
  /** Base role of the final image. */
  base: BaseRole;
  /** Base role of the builder stage, for multi-stage templates. */
  builder?: BaseRole;
  /** File name in templates/, e.g. "single-stage.Dockerfile". */
  template: string;
  /** Build args passed to the template, beyond the ones shrinkbench always sets. */
  args: Record<string, string>;
  context: ContextMode;
  post: PostStep[];
  /** The number the talk reported for this rung, when there is one. */
  reference?: { size?: string; buildTime?: string };
  /** The final stage is FROM scratch: nothing of the base image is in it (measured against 0 bytes). */
  scratch?: boolean;
  /** What a user must know before adopting this rung; printed with the results. */
  caveat?: string;
  /** The builder the template needs (RUN --mount): under the classic builder it is SKIPPED. */
  needs?: "buildkit";
  /**
   * A Dockerfile of the user's own instead of a template (`--dockerfile`, or a ladder file's
   * `dockerfile` field): built from its own folder, not from a generated context (src/ladder/yours.ts).
   */
  dockerfile?: OwnDockerfile;
}

/** A user's own Dockerfile as a rung: where it is, and the folder it is built from. */
export interface OwnDockerfile {
  /** The Dockerfile, as given (relative to the working directory or the ladder file). */
  path: string;
  /** The build context folder (default: the Dockerfile's folder). */
  context: string;
  /** The Dockerfile's text, read before anything is built. */
  text: string;
}

export interface Ladder {
  name: string;
  description: string;
  rungs: Rung[];
  /** The file it was loaded from. */
  file: string;
}

export type RungStatus = "PASS" | "FAILED" | "SKIPPED";

/** What the engine said about a built image. */
export interface ImageMeasure {
  id: string;
  tag: string;
  /** `docker image inspect` .Size: the whole image, uncompressed. */
  sizeBytes: number;
  /** .Size of the final stage's base image. */
  baseSizeBytes: number;
  /** sizeBytes - baseSizeBytes. */
  addedBytes: number;
  layers: number;
  baseLayers: number;
}

export interface SmokeResult {
  passed: boolean;
  /** What the test did, e.g. "import numpy, pandas, sklearn". */
  description: string;
  seconds: number;
  outputTail: string[];
  /**
   * Import time of the requirements inside the container: median wall time of 3 fresh
   * interpreters running `import a, b, c`; for a --test script, the script's run time.
   * With --repeat: the median of importSamples.
   */
  importSeconds?: number;
  /** --repeat: the import time of every round (a fresh container each), in round order. */
  importSamples?: number[];
}

/** What else the machine was doing while one build was timed (src/run/load.ts). */
export interface BuildLoad {
  /** When the build started (ISO 8601): the rounds' order can be read back. */
  startedAt?: string;
  /** 1-minute load average of the machine running shrinkbench, before and after the build. */
  loadBefore: number;
  loadAfter: number;
  /** The machine's CPU count, to read the load against. */
  cpus: number;
  /** Other builds of this run in progress at any time during this one. */
  concurrentBuilds: number;
  /**
   * CPU seconds per wall second used by the local engine serving this run (dockerd with the RUN
   * steps it ran, every build on it), when readable (Linux, a unix socket, /proc/PID readable).
   */
  engineCpu?: number;
  /** CPU seconds per wall second the whole machine was busy (/proc/stat), when readable. */
  machineCpu?: number;
  /**
   * CPU seconds per wall second of shrinkbench itself (serving packages to the build, sending its
   * context, reading its status): work for the build, not competition with it.
   */
  selfCpu?: number;
  /**
   * CPUs busy with kernel threads (writeback, block I/O, RCU) and interrupts: work the build's
   * I/O causes, not competition. Absent in records written before it was measured, as are the
   * three below.
   */
  kernelCpu?: number;
  /** CPUs the hypervisor gave to someone else (steal): competition from outside the machine. */
  stealCpu?: number;
  /** CPUs busy with processes outside the engine and shrinkbench: competition with the build. */
  otherCpu?: number;
  /** Those processes that used the most, by name. */
  busiestOthers?: { name: string; cpu: number }[];
}

/** Where a rung image's bytes are: a summary of `shrinkbench inspect` kept in the run record. */
export interface RungInspection {
  /** Σ over paths of (cumulative − smallest copy) across layers; see docs/inspect.md. */
  wastedBytes: number;
  /** dive's efficiency: Σ smallest / Σ cumulative. */
  efficiency: number;
  /** Bytes stored in layers but not visible in the image: what a squash would reclaim. */
  hiddenBytes: number;
  /** What keeping one copy of each byte-identical file would save. */
  duplicateSavingsBytes: number;
  /** Bytes per category (tests, __pycache__, extension modules, vendored libs, caches, ...). */
  categories: { id: string; title: string; bytes: number }[];
  /** The largest installed distributions. */
  topDistributions: { name: string; bytes: number }[];
  /** Waste found in the image, with its measured price, largest first. */
  findings: { id: string; bytes: number; message: string; advice: string }[];
  /** Σ layer sizes above the bottom layer (what dive calls the user's bytes). */
  userSizeBytes?: number;
  /** dive's wasted bytes (Σ cumulative of paths seen more than once), for its verdicts. */
  diveWastedBytes?: number;
  /** dive's efficiency (a deleted directory counted as dive counts it), for its verdicts. */
  diveEfficiency?: number;
  /** The paths that waste the most (a few). */
  topWastedPaths?: { path: string; wastedBytes: number }[];
  /** Each layer's size (files and symlink targets), bottom first: for `diff`. */
  layerBytes?: number[];
}

/**
 * Where a rung's share of the run's wall clock went, seconds (summed over --repeat rounds):
 * the timed build and post steps, and the work around them that no column reports.
 */
export interface RungPhaseSeconds {
  /** Packing the context and the build call (the build call alone is buildSeconds). */
  build?: number;
  /** --rebuild: the warm rebuilds. */
  rebuild?: number;
  /** Post steps (squash). */
  post?: number;
  /** The engine's size and layer numbers. */
  measure?: number;
  /** The smoke test's container, import timing included. */
  smoke?: number;
  /** Where the bytes are (`docker save` through the analysis). */
  inspect?: number;
  /** Removing builder stages and the rung's image. */
  cleanup?: number;
}

/** Everything measured for one rung. Bytes are bytes and times are seconds throughout. */
export interface RungResult {
  rung: string;
  title: string;
  base: BaseRole;
  baseImage: string;
  status: RungStatus;
  /** Why it FAILED or was SKIPPED. */
  reason?: string;
  image?: ImageMeasure;
  /** The builder that built it: BuildKit or the classic builder (absent in older records). */
  builder?: "buildkit" | "classic";
  /** Wall clock of the build call, cache off, base present. */
  buildSeconds?: number;
  /**
   * --rebuild: wall clock of a second build, cache on, after one application source file
   * changed (the developer's edit-and-rebuild loop).
   */
  rebuildSeconds?: number;
  /**
   * --rebuild: wall clock of a third build, cache on, after one requirement was added (the
   * install runs again; a cache mount of pip's cache keeps what was downloaded).
   */
  rebuildRequirementsSeconds?: number;
  /** Time spent making sure the base images exist (pulls), reported apart. */
  pullSeconds?: number;
  /** Time of the post steps (squash). */
  postSeconds?: number;
  /** --repeat: the build call of every round, in round order; buildSeconds is their median. */
  buildSamples?: number[];
  /** --repeat: the post steps of every round, in round order; postSeconds is their median. */
  postSamples?: number[];
  /** Cold build time (build + post) over the reference rung's in the same round, per round. */
  buildRatioSamples?: number[];
  /** The median of buildRatioSamples. */
  buildRatio?: number;
  /** What else the machine was doing during each timed build, in round order. */
  buildLoad?: BuildLoad[];
  /** Why this rung's times were taken on a busy machine, when they were. */
  busy?: string;
  contextBytes?: number;
  smoke?: SmokeResult;
  /** Where the bytes are (absent with --no-inspect). */
  inspection?: RungInspection;
  /** The last lines of the build log, for FAILED rungs. */
  logTail?: string[];
  /** The rung's full build and smoke-test output, relative to the run record's folder. */
  logFile?: string;
  /** The engine that built it. */
  engine?: string;
  /** Where this rung's wall clock went (absent in older records). */
  phaseSeconds?: RungPhaseSeconds;
  startedAt: string;
  finishedAt: string;
}

export interface EngineInfo {
  host: string;
  version: string;
  apiVersion: string;
  os: string;
  arch: string;
}

/** A base image as the engine had it: tags move, the image id does not. */
export interface BaseImageRecord {
  /** The configured reference, e.g. "python:3.11-slim". */
  ref: string;
  /** The engine's image id ("sha256:…"): equal ids are the same bytes. */
  id: string;
  /** The registry digest ("python@sha256:…"), when the image came from or went to a registry. */
  repoDigest?: string;
  /** `docker image inspect` .Size. */
  sizeBytes: number;
}

export const RUN_RECORD_SCHEMA = "shrinkbench/run-record";
export const RUN_RECORD_VERSION = 1;

/** A whole run, as written to results/<timestamp>-<ladder>.json. */
export interface RunRecord {
  schema: typeof RUN_RECORD_SCHEMA;
  schemaVersion: typeof RUN_RECORD_VERSION;
  runId: string;
  tool: { name: "shrinkbench"; version: string };
  ladder: { name: string; file: string };
  requirements: {
    file: string;
    hash: string;
    names: string[];
    /** Requirements an environment marker left out for the images' python (not installed, not import-tested). */
    leftOut?: { name: string; line: string; marker: string; why: string; images: string[] }[];
    /** The pre-build resolve (pip --dry-run in `image`): its cost, and whether a cached success answered. */
    resolve?: { image: string; seconds: number; cached: boolean };
  };
  /** Package sources, credentials masked. */
  sources: PackageSources;
  bases: Record<BaseRole, string>;
  /**
   * What each base role's tag pointed at when the run started (roles the ladder used and the
   * engine had). Absent in records written before base digests were recorded: those know their
   * bases by tag only.
   */
  baseImages?: Partial<Record<BaseRole, BaseImageRecord>>;
  engine: EngineInfo;
  /** The builder every rung was built with (absent in records written before BuildKit). */
  builder?: "buildkit" | "classic";
  /** Every engine the run built on, when there were several (`engine` is the first). */
  engines?: EngineInfo[];
  /** Things the reader should know, e.g. an index that could not be reached (masked). */
  notes?: string[];
  /** What the run's package server fetched upstream (remote indexes go through its cache). */
  packageServer?: {
    upstreamRequests: number;
    downloads: number;
    cacheHits: number;
    /** How the builds reached their packages: this machine's server, or a wheelhouse on each engine. */
    sources?: "server" | "wheelhouse";
  };
  /** Peak resident memory of the shrinkbench process during the run, bytes. */
  maxRssBytes?: number;
  startedAt: string;
  finishedAt: string;
  /** True when the run was stopped before every rung ran. */
  interrupted: boolean;
  rungs: RungResult[];
  /** --repeat: rounds of cold builds and import times (absent: one). */
  repeat?: number;
  /**
   * --sizes-only: cached, parallel builds and no import timing; the sizes are a cold run's, the
   * times were not measured (and nothing may gate on them).
   */
  sizesOnly?: true;
  /** The rung build-time ratios are measured against, when it ran (default `slim`). */
  referenceRung?: string;
  /** Which rung to adopt (src/results/recommend.ts); absent in records written before it existed. */
  recommendation?: Recommendation;
  /** run --shard K/N: this record holds one share of the ladder (src/run/shard.ts). */
  shard?: ShardInfo;
  /** shrinkbench merge: the shard records this record was made of. */
  mergedFrom?: MergedShard[];
}

/** A sharded run's share of the ladder, and what `merge` needs to check the whole. */
export interface ShardInfo {
  /** K of K/N, from 1. */
  index: number;
  /** N of K/N. */
  count: number;
  /** Every rung of the whole ladder (all shards), in ladder order. */
  ladderRungs: string[];
  /** sha256 of the whole ladder's rung definitions: shards of different ladder files differ. */
  ladderHash: string;
  /** The rungs this shard was given. */
  rungs: string[];
  /** Every shard's rungs, shard 1 first: merge names the rungs of a shard whose record is missing. */
  split: string[][];
  /** What the split was balanced by: estimates from each rung's shape, or a previous record's times. */
  weights: "estimate" | "record";
  /** The ladder's caveats by rung, so that the merged recommendation can weigh every rung. */
  caveats?: Record<string, string>;
}

/** One record that went into a merged record. */
export interface MergedShard {
  file: string;
  runId: string;
  /** "K/N", when it was a shard. */
  shard?: string;
  engine: string;
  rungs: string[];
  startedAt: string;
  finishedAt: string;
}

/** The PASS rungs worth adopting, over size, cold build time and import time. */
export interface Recommendation {
  /** PASS rungs that no other PASS rung beats on all three at once, smallest first. */
  frontier: string[];
  smallest?: string;
  fastestBuild?: string;
  fastestImport?: string;
  /** With --size-budget: the budget, and the rung that builds fastest within it (none fits: absent). */
  budget?: { bytes: number; best?: string };
  /** Caveats of recommended rungs, e.g. a traced image is only as safe as the test's coverage. */
  notes: string[];
  /** Rungs whose build (import) time is within the noise of the fastest, the fastest first. */
  ties?: { build?: string[]; import?: string[] };
  /** Fewest samples behind any time compared: 1 means no measured spread (no --repeat). */
  samples?: number;
  /** The one rung to adopt, and why in one line. */
  recommended?: string;
  reason?: string;
}

// `shrinkbench run`: build the ladder for a requirements file, measure it, write the record.
// A pipeline of named steps: prepare (validate and load every input) → open the engines, base
// images and package server → run the ladder → finish the record → print.
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadLadder, loadScripts, loadSmokeScript, loadTemplates } from "../ladder/assets.js";
import { loadConfig } from "../config.js";
import type { Builder, Engine } from "../docker/engine.js";
import { EXIT, InputError } from "../errors.js";
import { selectRungs } from "../ladder/ladder.js";
import { RUN_LABEL } from "../ladder/plan.js";
import type { SourcesRequest } from "../packages/sources-mode.js";
import { maskSources, mergeSources, readHostPipSources } from "../packages/pip-sources.js";
import { createProgress, type ProgressEvent } from "../run/progress.js";
import { RunRecorder, type RecordFiles } from "../results/recorder.js";
import { useColor } from "../report/color.js";
import { renderMarkdown, renderTable } from "../report/run.js";
import { rewriteDirectFiles } from "../requirements/direct-files.js";
import { flattenRequirements } from "../requirements/flatten.js";
import { loadRequirements } from "../requirements/load.js";
import { runLadder } from "../run/runner.js";
import { openRun, type RunSetup } from "../run/setup.js";
import { recommend } from "../results/recommend.js";
import { DEFAULT_REFERENCE_RUNG, withBuildRatios } from "../results/times.js";
import { renderRecommendationText } from "../report/recommendation.js";
import {
  checkRequirements,
  renderLeftOut,
  type RequirementsCheck,
} from "../run/requirements-check.js";
import { cacheDir } from "../packages/python-env.js";
import { sizesOnlyPlan } from "../run/sizes-only.js";
import { importSmokeTest, scriptSmokeTest, type SmokeTest } from "../ladder/smoke.js";
import { parseSize } from "../units.js";
import { parseShardSpec, planShard, shardInfo } from "../run/shard.js";
import { readRunRecord } from "../results/record.js";
import { ownDockerfileOf, withYours, yoursNotes } from "./run-yours.js";
import { YOURS } from "../ladder/yours.js";
import { toolVersion } from "../version.js";
import {
  BASE_ROLES,
  RUN_RECORD_SCHEMA,
  RUN_RECORD_VERSION,
  type BaseRole,
  type Ladder,
  type RunRecord,
  type ShardInfo,
} from "../types.js";

export type OutputFormat = "table" | "markdown" | "json";

export interface RunOptions {
  requirements: string;
  ladder: string;
  rungs: string[];
  app?: string;
  /** --dockerfile: your own Dockerfile, the rung `yours` (src/ladder/yours.ts). */
  dockerfile?: string;
  /** --build-context: the folder it is built from (default: the Dockerfile's folder). */
  buildContext?: string;
  test?: string;
  out: string;
  name?: string;
  format: OutputFormat;
  config?: string;
  dockerHost?: string;
  /** Several engines (--docker-host repeated); rungs go to the least-busy one. */
  dockerHosts?: string[];
  /** --context NAME: a docker context, as `docker --context`. */
  context?: string;
  indexUrl?: string;
  extraIndexUrls: string[];
  findLinks: string[];
  noHostPipConfig: boolean;
  /** Keeps files fetched from remote indexes across runs. */
  wheelCache?: string;
  /** --sources: auto (by where the engines are), server or wheelhouse. */
  sources?: SourcesRequest;
  /** With --app: time a second, cached build of each rung after an application file changes. */
  rebuild?: boolean;
  /** --builder; default BuildKit where every engine supports it, else classic with a note. */
  builder?: Builder;
  keepImages: boolean;
  /** Leave the BuildKit cache records the run's builds made (default: pruned at the end). */
  keepCache?: boolean;
  /** Resolve the requirements once before the first build (default on; --no-precheck skips it). */
  precheck?: boolean;
  /** Record where each rung's bytes are (default on; --no-inspect skips it). */
  inspect?: boolean;
  /** --size-budget, e.g. "300MB": the recommendation names the best rung within it. */
  sizeBudget?: string;
  /** --reference-rung: build times are also given as a ratio to this rung's (default slim). */
  referenceRung?: string;
  /** --repeat N: rounds of cold builds and import times, interleaved (default 1). */
  repeat?: number;
  /** --sizes-only: a CI size job (cache on, 2 builds at once, no times); see run/sizes-only.ts. */
  sizesOnly?: boolean;
  /** --shard K/N: build only this runner's share of the rungs (src/run/shard.ts). */
  shard?: string;
  /** --shard-weights: a previous run record whose build times balance the shards. */
  shardWeights?: string;
  concurrency: number;
  buildTimeout: number;
  smokeTimeout: number;
  pullTimeout: number;
  quiet: boolean;
  verbose: boolean;
  color?: boolean;
}

export interface RunIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Whether stderr (the progress) is a terminal. */
  isTTY: boolean;
  /** Whether stdout (the table) is a terminal: its colour is decided by stdout itself. */
  stdoutIsTTY?: boolean;
  columns?: number;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM: stop scheduling, cancel the build in progress. */
  signal?: AbortSignal;
}

export interface RunOutcome {
  exitCode: number;
  record: RunRecord;
  files: RecordFiles;
}

export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

function checkPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InputError(`--${name} ${value}: expected a positive number`, `e.g. --${name} 600`);
  }
}

async function readTestFile(path: string): Promise<SmokeTest> {
  if (!existsSync(path))
    throw new InputError(
      `--test ${path}: no such file`,
      "pass a Python script that exits 0 when the image works",
    );
  if (statSync(path).isDirectory())
    throw new InputError(`--test ${path}: is a directory`, "pass a Python script file");
  return scriptSmokeTest(path, await readFile(path, "utf8"), await loadSmokeScript());
}

/** Validates every input before the engine is touched, so bad input costs nothing. */
export async function prepareRun(opts: RunOptions) {
  checkPositive("concurrency", opts.concurrency);
  checkPositive("build-timeout", opts.buildTimeout);
  checkPositive("smoke-timeout", opts.smokeTimeout);
  if (opts.repeat !== undefined && (!Number.isInteger(opts.repeat) || opts.repeat < 1))
    throw new InputError(
      `--repeat ${opts.repeat}: expected a whole number of at least 1`,
      "e.g. --repeat 3: every rung built three times, interleaved",
    );
  if (!Number.isInteger(opts.concurrency))
    throw new InputError(`--concurrency ${opts.concurrency}: expected a whole number`);
  if (opts.sizesOnly) sizesOnlyPlan(opts);
  if (opts.app !== undefined && (!existsSync(opts.app) || !statSync(opts.app).isDirectory())) {
    throw new InputError(`--app ${opts.app}: not a directory`, "pass the folder of your project");
  }
  const own = await ownDockerfileOf(opts);
  if (opts.rebuild && opts.app === undefined && !own) {
    throw new InputError(
      "--rebuild needs --app DIR (or --dockerfile)",
      "a warm rebuild changes one of your application files (in the build context only) and builds again",
    );
  }
  const requirements = loadRequirements(opts.requirements, { allowEditable: false });
  // Refused before any engine is touched: a URL with credentials that the package server does
  // not serve for the builds (git+https://user:token@…). Package files' URLs are replaced.
  flattenRequirements(rewriteDirectFiles(requirements, (f) => f.fileName));
  const whole = withYours(
    selectRungs(
      await loadLadder(opts.ladder),
      opts.rungs.filter((r) => !own || r !== YOURS),
    ),
    own,
  );
  if (opts.referenceRung !== undefined && !whole.rungs.some((r) => r.id === opts.referenceRung)) {
    throw new InputError(
      `--reference-rung ${opts.referenceRung}: not a rung of this run`,
      `choose one of: ${whole.rungs.map((r) => r.id).join(", ")}`,
    );
  }
  const { ladder, shard } = await shardLadder(whole, opts);
  const config = await loadConfig(opts.config);
  const smoke = opts.test
    ? await readTestFile(opts.test)
    : importSmokeTest(
        requirements.requirements.map((r) => r.name),
        await loadSmokeScript(),
      );
  const budgetBytes =
    opts.sizeBudget === undefined ? undefined : parseSize(opts.sizeBudget, "--size-budget");
  const [templates, scripts] = await Promise.all([loadTemplates(ladder), loadScripts()]);
  const sources = mergeSources({
    host: opts.noHostPipConfig ? undefined : await readHostPipSources(),
    file: requirements.options,
    flags: {
      indexUrl: opts.indexUrl,
      extraIndexUrls: opts.extraIndexUrls,
      findLinks: opts.findLinks,
    },
  });
  const notes = own ? await yoursNotes(own, config.bases) : [];
  return {
    requirements,
    ladder,
    shard,
    config,
    smoke,
    budgetBytes,
    templates,
    scripts,
    sources,
    notes,
  };
}

/** --shard K/N: this runner's share of the ladder; without it, the whole ladder. */
async function shardLadder(
  whole: Ladder,
  opts: RunOptions,
): Promise<{ ladder: Ladder; shard?: ShardInfo }> {
  if (opts.shard === undefined) {
    if (opts.shardWeights !== undefined)
      throw new InputError(
        "--shard-weights needs --shard K/N",
        "it balances the shards by a previous record's build times",
      );
    return { ladder: whole };
  }
  const spec = parseShardSpec(opts.shard, whole.rungs.length);
  const previous = opts.shardWeights ? await readRunRecord(opts.shardWeights) : undefined;
  const plan = planShard(whole, spec, previous);
  return { ladder: plan.ladder, shard: shardInfo(plan, whole) };
}

type Prepared = Awaited<ReturnType<typeof prepareRun>>;

export async function runCommand(
  opts: RunOptions,
  io: RunIO,
  engineOverride?: Engine | Engine[],
): Promise<RunOutcome> {
  const prepared = await prepareRun(opts);
  const note = (s: string) => {
    if (!opts.quiet) io.stderr(`shrinkbench: note: ${s}\n`);
  };
  const runId = newRunId();
  const setup = await openRun({
    hosts: [...(opts.dockerHosts ?? []), ...(opts.dockerHost ? [opts.dockerHost] : [])],
    context: opts.context,
    config: prepared.config,
    ladder: prepared.ladder,
    sources: prepared.sources,
    pullTimeoutMs: opts.pullTimeout * 1000,
    builder: opts.builder,
    wheelCache: opts.wheelCache,
    sourcesMode: opts.sources,
    requirements: prepared.requirements,
    labels: { [RUN_LABEL]: runId },
    env: io.env,
    engineOverride,
    onNote: note,
    onPull: (ref, host) => note(`pulling base image ${ref} on ${host} (not present there)`),
  });
  const checked = await checkRequirements(prepared, setup, {
    cache: cacheDir(io.env),
    precheck: opts.precheck ?? true,
    onNote: note,
  });
  const recorder = new RunRecorder(
    newRecord(prepared, setup, runId),
    opts.out,
    prepared.ladder.rungs.map((r) => r.id),
    opts.name,
  );
  checked.addTo(recorder.record);
  for (const n of prepared.notes) note(n);
  if (prepared.notes.length)
    recorder.record.notes = [...(recorder.record.notes ?? []), ...prepared.notes];
  const progress = startProgress(opts, io);
  try {
    await runRungs(prepared, setup, recorder, progress.handle, opts, io, checked);
  } finally {
    progress.stop();
    await finishRecord(prepared, setup, recorder, opts, io, progress.handle);
  }
  return printRun(recorder, opts, io);
}

/** Step: the record before any rung ran. */
function newRecord(prepared: Prepared, setup: RunSetup, runId: string): RunRecord {
  const { requirements, ladder, config, sources } = prepared;
  const startedAt = new Date().toISOString();
  return {
    schema: RUN_RECORD_SCHEMA,
    schemaVersion: RUN_RECORD_VERSION,
    runId,
    tool: { name: "shrinkbench", version: toolVersion() },
    ladder: { name: ladder.name, file: ladder.file },
    requirements: {
      file: requirements.file,
      hash: requirements.hash,
      names: requirements.requirements.map((r) => r.name),
    },
    sources: maskSources(sources),
    bases: Object.fromEntries(BASE_ROLES.map((r) => [r, config.bases[r]])) as Record<
      BaseRole,
      string
    >,
    ...(setup.bases.resolved ? { baseImages: setup.bases.resolved } : {}),
    engine: setup.engineInfos[0]!,
    builder: setup.builder,
    ...(setup.engineInfos.length > 1 ? { engines: setup.engineInfos } : {}),
    startedAt,
    finishedAt: startedAt,
    interrupted: false,
    rungs: [],
    ...(prepared.shard
      ? {
          shard: prepared.shard,
          notes: [
            `shard ${prepared.shard.index}/${prepared.shard.count}: ${prepared.shard.rungs.join(", ")} of the ladder's ${prepared.shard.ladderRungs.length} rungs; \`shrinkbench merge\` the shards' records for the whole comparison`,
          ],
        }
      : {}),
  };
}

/** Live progress on stderr, redrawn every second on a terminal. */
function startProgress(opts: RunOptions, io: RunIO) {
  const progress = createProgress({
    isTTY: io.isTTY,
    env: io.env,
    quiet: opts.quiet || opts.format !== "table",
    verbose: opts.verbose,
    color: opts.color,
    columns: io.columns,
    write: io.stderr,
    now: Date.now,
  });
  const ticker = setInterval(() => progress.tick(), 1000);
  ticker.unref();
  return {
    handle: (e: ProgressEvent) => progress.handle(e),
    stop: () => clearInterval(ticker),
  };
}

/** Step: every rung, each result saved into the record as soon as it is known. */
async function runRungs(
  prepared: Prepared,
  setup: RunSetup,
  recorder: RunRecorder,
  onProgress: (e: ProgressEvent) => void,
  opts: RunOptions,
  io: RunIO,
  checked: RequirementsCheck,
): Promise<void> {
  await runLadder(
    {
      runId: recorder.record.runId,
      ladder: prepared.ladder,
      bases: setup.bases,
      sources: setup.server.sources,
      // Direct file references point at the package server in these (packages/run-sources.ts).
      requirementsText: setup.server.requirementsText,
      constraintsText: setup.server.constraintsText,
      requirementsPath: opts.requirements,
      // With --dockerfile, the ladder's --app rungs copy the folder your Dockerfile builds from.
      appDir: opts.app ?? prepared.ladder.rungs.find((r) => r.id === YOURS)?.dockerfile?.context,
      smoke: prepared.smoke,
      smokeFor: checked.smokeFor,
      templates: prepared.templates,
      scripts: prepared.scripts,
      keepImages: opts.keepImages,
      builder: setup.builder,
      rebuild: opts.rebuild,
      inspect: opts.inspect ?? true,
      buildTimeoutMs: opts.buildTimeout * 1000,
      smokeTimeoutMs: opts.smokeTimeout * 1000,
      concurrency: opts.sizesOnly ? sizesOnlyPlan(opts).concurrency : opts.concurrency,
      repeat: opts.repeat,
      sizesOnly: opts.sizesOnly,
      canBuild: setup.canBuild,
      signal: io.signal,
      onEvent: (e) => {
        if (e.type === "log") recorder.log(e.rung, e.line);
        onProgress(e);
      },
      onResult: (r) =>
        recorder.add({
          ...r,
          pullSeconds: r.status === "SKIPPED" ? undefined : setup.pullSeconds,
        }),
    },
    setup.engines,
  );
}

/**
 * Step: close the package server, complete the record (notes, package server counts, the
 * recommendation), remove the run's containers (and images unless kept), save it a last time.
 */
async function finishRecord(
  prepared: Prepared,
  setup: RunSetup,
  recorder: RunRecorder,
  opts: RunOptions,
  io: RunIO,
  onProgress: (e: ProgressEvent) => void,
): Promise<void> {
  const { record } = recorder;
  await setup.close();
  const notes = [...(record.notes ?? []), ...setup.notes()];
  if (notes.length) record.notes = notes;
  record.maxRssBytes = process.resourceUsage().maxRSS * 1024;
  const served = setup.server.proxy;
  record.packageServer = {
    upstreamRequests: served.upstreamRequests,
    downloads: served.downloads,
    cacheHits: served.diskHits + served.memoryHits,
    sources: setup.server.mode,
  };
  record.interrupted = io.signal?.aborted ?? false;
  recorder.collect();
  if ((opts.repeat ?? 1) > 1) record.repeat = opts.repeat;
  if (opts.sizesOnly) record.sizesOnly = true;
  // Ratios to a rung timed in the same round travel between machines better than seconds.
  const ratios = withBuildRatios(record.rungs, opts.referenceRung ?? DEFAULT_REFERENCE_RUNG);
  record.rungs = ratios.rungs;
  if (ratios.reference) record.referenceRung = ratios.reference;
  else if (opts.referenceRung && prepared.ladder.rungs.some((r) => r.id === opts.referenceRung))
    record.notes = [
      ...(record.notes ?? []),
      `no build-time ratios: the reference rung ${opts.referenceRung} did not pass`,
    ];
  record.recommendation = recommend(record.rungs, {
    budgetBytes: prepared.budgetBytes,
    caveats: Object.fromEntries(
      prepared.ladder.rungs.flatMap((r) => (r.caveat ? [[r.id, r.caveat]] : [])),
    ),
  });
  onProgress({ type: "run-end", at: Date.now(), interrupted: record.interrupted });
  // Containers never outlive the run; images only when --keep-images asked for them, build
  // cache records only with --keep-cache.
  await Promise.all(
    setup.engines.map((e) =>
      e
        .removeLeftovers(
          { runId: record.runId },
          { images: !opts.keepImages, cache: !opts.keepCache },
        )
        .catch(() => undefined),
    ),
  );
  await recorder.save();
}

/** Step: the table (or markdown, or JSON) on stdout, failures and file names on stderr. */
function printRun(recorder: RunRecorder, opts: RunOptions, io: RunIO): RunOutcome {
  const { record, files } = recorder;
  return { exitCode: printRecord(record, files, opts, io), record, files };
}

/**
 * A finished record on stdout (table and recommendation, markdown or JSON), failures and the
 * files on stderr; returns the exit code a run with these results has. `merge` prints the same.
 */
export function printRecord(
  record: RunRecord,
  files: RecordFiles,
  opts: Pick<RunOptions, "format" | "out" | "color">,
  io: Pick<RunIO, "stdout" | "stderr" | "stdoutIsTTY" | "env">,
): number {
  if (opts.format === "json") io.stdout(JSON.stringify(record, null, 2) + "\n");
  else if (opts.format === "markdown") io.stdout(renderMarkdown(record));
  else {
    io.stdout(
      renderTable(record, {
        color: useColor({ isTTY: io.stdoutIsTTY }, io.env, opts.color),
      }) + "\n",
    );
    if (record.recommendation) {
      io.stdout("\n" + renderRecommendationText(record.recommendation, record.rungs));
    }
    io.stdout(renderLeftOut(record));
    for (const r of record.rungs.filter((x) => x.status === "FAILED")) {
      io.stderr(`FAILED ${r.rung}: ${r.reason ?? ""}\n`);
      if (r.logFile) io.stderr(`  full log: ${join(opts.out, r.logFile)}\n`);
    }
    io.stderr(`results: ${files.json}, ${files.markdown}, ${files.html} (chart: ${files.svg})\n`);
  }
  const failed = record.rungs.some((r) => r.status === "FAILED");
  return record.interrupted ? EXIT.sigint : failed ? EXIT.failed : EXIT.ok;
}

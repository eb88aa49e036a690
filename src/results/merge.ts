// One run record from several (`shrinkbench merge`): the shards of a ladder split with
// `run --shard K/N` over CI runners, or runs of different rungs of the same setup. The rungs keep
// their own measures; what compares rungs (build-time ratios, the recommendation) is worked out
// again over all of them. Pure: records in, a record out.
import type { EngineInfo, MergedShard, RunRecord, RungResult } from "../types.js";
import { checkMergeable, describeAbsent, type RecordInput } from "./merge-checks.js";
import { recommend } from "./recommend.js";
import { DEFAULT_REFERENCE_RUNG, withBuildRatios } from "./times.js";

export interface MergeOptions {
  /** The merged record's run id. */
  runId: string;
  /** Merge shards although some are missing: the absent rungs are named in the record's notes. */
  allowPartial?: boolean;
  /** --size-budget for the recommendation; default: the records' own budget. */
  budgetBytes?: number;
  /** Caveats by rung for the recommendation, when the records do not carry them (whole runs). */
  caveats?: Record<string, string>;
}

export interface Merged {
  record: RunRecord;
  /** What the user should know (also in the record's notes): absent rungs, differing versions. */
  warnings: string[];
}

const time = (iso: string) => new Date(iso).getTime();

function distinct<T>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((x) => {
    const key = JSON.stringify(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A rung's build-time ratio was against the reference rung of its own record: drop it. */
function withoutRatios(r: RungResult): RungResult {
  const copy = { ...r };
  delete copy.buildRatio;
  delete copy.buildRatioSamples;
  return copy;
}

function shardLabel(r: RunRecord): string | undefined {
  return r.shard ? `${r.shard.index}/${r.shard.count}` : undefined;
}

/** Each record's own notes, less the shard note `run --shard` writes ("shard K/N: …"). */
function carriedNotes(inputs: readonly RecordInput[]): string[] {
  return distinct(
    inputs.flatMap(({ record }) => {
      const own = shardLabel(record);
      return (record.notes ?? []).filter((n) => !own || !n.startsWith(`shard ${own}:`));
    }),
  );
}

/** The records' shared budget; the first when they differ (with a warning). */
function recordsBudget(inputs: readonly RecordInput[], warnings: string[]): number | undefined {
  const budgets = distinct(
    inputs.flatMap((x) =>
      x.record.recommendation?.budget ? [x.record.recommendation.budget.bytes] : [],
    ),
  );
  if (budgets.length > 1)
    warnings.push(
      `the records have different --size-budget values (${budgets.join(", ")} bytes): the first is used; give merge --size-budget to choose`,
    );
  return budgets[0];
}

function packageServer(inputs: readonly RecordInput[]): RunRecord["packageServer"] {
  const served = inputs.flatMap((x) => (x.record.packageServer ? [x.record.packageServer] : []));
  if (!served.length) return undefined;
  const sum = (k: "upstreamRequests" | "downloads" | "cacheHits") =>
    served.reduce((s, p) => s + p[k], 0);
  return {
    upstreamRequests: sum("upstreamRequests"),
    downloads: sum("downloads"),
    cacheHits: sum("cacheHits"),
    ...(served[0]!.sources ? { sources: served[0]!.sources } : {}),
  };
}

/** Merges records that checkMergeable accepts (it throws an InputError otherwise). */
export function mergeRecords(inputs: readonly RecordInput[], opts: MergeOptions): Merged {
  const { sharded, absent } = checkMergeable(inputs, opts);
  const warnings: string[] = absent.map(
    (a) => `${describeAbsent(a)}: ${a.rungs.length === 1 ? "it is" : "they are"} not in this record`,
  );
  const records = inputs.map((x) => x.record);
  const first = records[0]!;
  const versions = distinct(records.map((r) => r.tool.version));
  if (versions.length > 1)
    warnings.push(`the records were written by different shrinkbench versions: ${versions.join(", ")}`);
  if (distinct(records.map((r) => r.sources)).length > 1)
    warnings.push("the records used different package sources: the first record's are shown");

  const budgetBytes = opts.budgetBytes ?? recordsBudget(inputs, warnings);

  const byId = new Map(records.flatMap((r) => r.rungs.map((x) => [x.rung, x] as const)));
  const order = sharded?.ladderRungs ?? records.flatMap((r) => r.rungs.map((x) => x.rung));
  const rungs = order.flatMap((id) => (byId.has(id) ? [withoutRatios(byId.get(id)!)] : []));

  const reference =
    records.find((r) => r.referenceRung !== undefined)?.referenceRung ?? DEFAULT_REFERENCE_RUNG;
  const ratios = withBuildRatios(rungs, reference);
  const engines: EngineInfo[] = distinct(records.flatMap((r) => r.engines ?? [r.engine]));
  const caveats = Object.assign(
    {},
    opts.caveats,
    ...records.map((r) => r.shard?.caveats ?? {}),
  ) as Record<string, string>;
  const mergedFrom: MergedShard[] = inputs.map(({ file, record }) => ({
    file,
    runId: record.runId,
    ...(record.shard ? { shard: shardLabel(record)! } : {}),
    engine: record.engine.host,
    rungs: record.rungs.map((r) => r.rung),
    startedAt: record.startedAt,
    finishedAt: record.finishedAt,
  }));
  const what = sharded ? `${inputs.length} of ${sharded.count} shards` : `${inputs.length} records`;
  const notes = [
    `merged from ${what}: ${mergedFrom.map((m) => `${m.shard ? `shard ${m.shard}` : m.file} (${m.rungs.join(", ") || "no rungs"})`).join("; ")}`,
    ...(ratios.reference && inputs.length > 1
      ? [`build-time ratios compare rungs built by different runs (on the runners of each shard)`]
      : []),
    ...warnings,
    ...carriedNotes(inputs),
  ];
  const leftOut = records.find((r) => r.requirements.leftOut)?.requirements.leftOut;
  const resolve = records.find((r) => r.requirements.resolve)?.requirements.resolve;
  const record: RunRecord = {
    ...first,
    runId: opts.runId,
    requirements: {
      ...first.requirements,
      ...(leftOut ? { leftOut } : {}),
      ...(resolve ? { resolve } : {}),
    },
    engine: engines[0]!,
    ...(engines.length > 1 ? { engines } : {}),
    notes,
    startedAt: records.reduce((a, r) => (time(r.startedAt) < time(a) ? r.startedAt : a), first.startedAt),
    finishedAt: records.reduce(
      (a, r) => (time(r.finishedAt) > time(a) ? r.finishedAt : a),
      first.finishedAt,
    ),
    interrupted: records.some((r) => r.interrupted),
    rungs: ratios.rungs,
    recommendation: recommend(ratios.rungs, {
      budgetBytes,
      caveats,
    }),
    mergedFrom,
  };
  const server = packageServer(inputs);
  if (server) record.packageServer = server;
  else delete record.packageServer;
  const rss = records.flatMap((r) => (r.maxRssBytes === undefined ? [] : [r.maxRssBytes]));
  if (rss.length) record.maxRssBytes = Math.max(...rss);
  if (ratios.reference) record.referenceRung = ratios.reference;
  else delete record.referenceRung;
  const baseImages = mergedBaseImages(records);
  if (baseImages) record.baseImages = baseImages;
  delete record.shard;
  return { record, warnings };
}

/** Every base role any record resolved (checkMergeable made sure they agree). */
function mergedBaseImages(records: readonly RunRecord[]): RunRecord["baseImages"] {
  const all = records.flatMap((r) => (r.baseImages ? [r.baseImages] : []));
  // The first record's wins where several resolved a role: they are the same image.
  return all.length ? Object.assign({}, ...[...all].reverse()) : undefined;
}

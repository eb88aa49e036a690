// Whether run records can be merged into one (`shrinkbench merge`): the same requirements, ladder,
// builder, base images, rounds and mode (--sizes-only), no rung or shard twice, and (for shards of
// `run --shard K/N`) every shard present. A refusal is an InputError naming the files and the difference. Pure.
import { InputError } from "../errors.js";
import {
  BASE_ROLES,
  type BaseImageRecord,
  type BaseRole,
  type RunRecord,
  type ShardInfo,
} from "../types.js";

/** A record and the file it was read from (for messages). */
export interface RecordInput {
  file: string;
  record: RunRecord;
}

/** Rungs of the ladder no record has, and the shard that should have built them. */
export interface Absent {
  /** "K/N". */
  shard: string;
  rungs: string[];
  /** The shard's record was given (it was interrupted or failed before those rungs). */
  recordGiven: boolean;
}

export interface Mergeable {
  /** The shard layout, when the records are shards. */
  sharded?: { count: number; ladderRungs: string[] };
  /** Rungs missing from the merge (sharded records only). */
  absent: Absent[];
}

const MERGE_HINT =
  "merge the records of one ladder run split with `run --shard K/N`: the same requirements file, ladder, builder, base images and --repeat on every runner";

function refuse(message: string, hint = MERGE_HINT): never {
  throw new InputError(message, hint);
}

/** Both records' values for one field, when they differ: `a.json has X, b.json has Y`. */
function differs(what: string, a: RecordInput, x: string, b: RecordInput, y: string): never {
  refuse(`cannot merge: ${what} differ: ${a.file} has ${x}, ${b.file} has ${y}`);
}

/** A shard field, checked: a hand-edited or foreign record must not pass as a shard. */
function shardOf(input: RecordInput): ShardInfo | undefined {
  const s = input.record.shard as unknown;
  if (s === undefined) return undefined;
  const o = s as Record<string, unknown>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  const ok =
    typeof s === "object" &&
    s !== null &&
    Number.isInteger(o.index) &&
    Number.isInteger(o.count) &&
    (o.count as number) >= 1 &&
    (o.index as number) >= 1 &&
    (o.index as number) <= (o.count as number) &&
    strings(o.ladderRungs) &&
    strings(o.rungs) &&
      typeof o.ladderHash === "string" &&
    Array.isArray(o.split) &&
    o.split.length === o.count &&
    o.split.every(strings);
  if (!ok)
    refuse(
      `${input.file}: shard: expected {index, count, ladderRungs, ladderHash, rungs, split} as \`run --shard K/N\` writes it`,
      "regenerate the record with `shrinkbench run --shard K/N`",
    );
  return s as ShardInfo;
}

const label = (s: ShardInfo) => `${s.index}/${s.count}`;

/** The same requirement set, ladder, builder, rounds and base images in every record. */
function checkSameSetup(inputs: readonly RecordInput[]): void {
  const [first] = inputs;
  for (const other of inputs.slice(1)) {
    const a = first!.record;
    const b = other.record;
    if (a.requirements.hash !== b.requirements.hash)
      differs(
        "requirement sets",
        first!,
        `${a.requirements.hash.slice(0, 19)}… (${a.requirements.file})`,
        other,
        `${b.requirements.hash.slice(0, 19)}… (${b.requirements.file})`,
      );
    if (a.ladder.name !== b.ladder.name)
      differs("ladders", first!, a.ladder.name, other, b.ladder.name);
    if ((a.builder ?? "unrecorded") !== (b.builder ?? "unrecorded"))
      differs(
        "builders",
        first!,
        a.builder ?? "no builder recorded",
        other,
        b.builder ?? "no builder recorded",
      );
    if ((a.repeat ?? 1) !== (b.repeat ?? 1))
      differs("rounds (--repeat)", first!, String(a.repeat ?? 1), other, String(b.repeat ?? 1));
    if (Boolean(a.sizesOnly) !== Boolean(b.sizesOnly))
      differs(
        "modes",
        first!,
        a.sizesOnly ? "--sizes-only" : "timed builds",
        other,
        b.sizesOnly ? "--sizes-only" : "timed builds",
      );
    checkSameBases(first!, other);
  }
}

/** What a record knows of a base image: its tag, and (newer records) the image it pointed at. */
type BaseSeen = Pick<BaseImageRecord, "ref"> & Partial<BaseImageRecord>;

function basesOf(record: RunRecord): Record<BaseRole, BaseSeen> {
  return Object.fromEntries(
    BASE_ROLES.map((role) => [role, { ref: record.bases[role], ...record.baseImages?.[role] }]),
  ) as Record<BaseRole, BaseSeen>;
}

/**
 * Each base role: the same image when both records know which image (the same registry digest or
 * the same image id), else the same tag. Records written before base digests know tags only.
 */
function checkSameBases(a: RecordInput, b: RecordInput): void {
  const x = basesOf(a.record);
  const y = basesOf(b.record);
  for (const role of BASE_ROLES) {
    const p = x[role]!;
    const q = y[role]!;
    if (p.ref !== q.ref) differs(`base images (${role})`, a, p.ref, b, q.ref);
    const sameDigest = p.repoDigest !== undefined && p.repoDigest === q.repoDigest;
    if (p.id && q.id && p.id !== q.id && !sameDigest)
      differs(
        `base image digests (${role}, ${p.ref})`,
        a,
        p.repoDigest ?? p.id,
        b,
        q.repoDigest ?? q.id,
      );
  }
}

/** No rung in two records. */
function checkNoRungTwice(inputs: readonly RecordInput[]): void {
  const seen = new Map<string, string>();
  for (const { file, record } of inputs) {
    for (const r of record.rungs) {
      const before = seen.get(r.rung);
      if (before !== undefined)
        refuse(
          `cannot merge: rung ${r.rung} is in both ${before} and ${file}`,
          "each rung must come from one record: the shards of one `run --shard K/N` split, each given once",
        );
      seen.set(r.rung, file);
    }
  }
}

/** Shards of one split: the same N, ladder and assignment, each shard once. */
function checkShardLayout(inputs: readonly RecordInput[], shards: readonly ShardInfo[]): void {
  const first = shards[0]!;
  const rungsOf = (s: ShardInfo) => s.ladderRungs.join(", ");
  shards.forEach((s, i) => {
    if (s.count !== first.count)
      differs("shard counts", inputs[0]!, `shard ${label(first)}`, inputs[i]!, `shard ${label(s)}`);
    if (rungsOf(s) !== rungsOf(first))
      differs("ladders (their rungs)", inputs[0]!, rungsOf(first), inputs[i]!, rungsOf(s));
    if (s.ladderHash !== first.ladderHash)
      differs(
        "ladders (how their rungs build)",
        inputs[0]!,
        `${first.ladderHash.slice(0, 19)}…`,
        inputs[i]!,
        `${s.ladderHash.slice(0, 19)}…`,
      );
    if (JSON.stringify(s.split) !== JSON.stringify(first.split))
      refuse(
        `cannot merge: ${inputs[0]!.file} and ${inputs[i]!.file} split the ladder differently (${first.weights} weights, ${s.weights} weights)`,
        "give every shard the same --shard-weights file (or none)",
      );
    const twin = shards.findIndex((t) => t.index === s.index);
    if (twin !== i)
      refuse(
        `cannot merge: shard ${label(s)} given twice: ${inputs[twin]!.file} and ${inputs[i]!.file}`,
        "give each shard's record once (for a re-run shard, the newer record)",
      );
  });
}

/** The rungs of the split that no record has a result for, by shard. */
function absentRungs(inputs: readonly RecordInput[], shards: readonly ShardInfo[]): Absent[] {
  const first = shards[0]!;
  const present = new Set(inputs.flatMap((x) => x.record.rungs.map((r) => r.rung)));
  const absent: Absent[] = [];
  for (let k = 1; k <= first.count; k++) {
    const missing = (first.split[k - 1] ?? []).filter((id) => !present.has(id));
    if (missing.length)
      absent.push({
        shard: `${k}/${first.count}`,
        rungs: missing,
        recordGiven: shards.some((s) => s.index === k),
      });
  }
  return absent;
}

/** "shard 2/3 is missing (its rungs: a, b)" or "shard 1/3 has no result for c". */
export function describeAbsent(a: Absent): string {
  return a.recordGiven
    ? `shard ${a.shard} has no result for ${a.rungs.join(", ")}`
    : `shard ${a.shard} is missing (its rungs: ${a.rungs.join(", ")})`;
}

/** Throws an InputError when the records cannot be merged; says which rungs are absent. */
export function checkMergeable(
  inputs: readonly RecordInput[],
  opts: { allowPartial?: boolean } = {},
): Mergeable {
  if (inputs.length === 0) refuse("merge: name the run records to merge");
  const shards = inputs.map(shardOf);
  const sharded = shards.filter((s) => s !== undefined);
  if (sharded.length && sharded.length < inputs.length) {
    const plain = inputs.filter((_, i) => !shards[i]).map((x) => x.file);
    refuse(
      `cannot merge shards with whole runs: ${plain.join(", ")} ${plain.length === 1 ? "was" : "were"} not run with --shard`,
    );
  }
  checkSameSetup(inputs);
  if (sharded.length) checkShardLayout(inputs, sharded);
  checkNoRungTwice(inputs);
  if (!sharded.length) return { absent: [] };
  const absent = absentRungs(inputs, sharded);
  if (absent.length && !opts.allowPartial)
    refuse(
      `cannot merge: the ladder is incomplete: ${absent.map(describeAbsent).join("; ")}`,
      "give every shard's record, or merge what there is with --allow-partial (the absent rungs are named in the merged record)",
    );
  const { count, ladderRungs } = sharded[0]!;
  return { sharded: { count, ladderRungs }, absent };
}

// Run records on disk: parse and validate them, read them, write them atomically, name them.

import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

import { InputError } from "../errors.js";
import {
  describeValue,
  FieldValidator,
  parseJson,
  type JsonObject,
} from "../validation.js";
import {
  BASE_ROLES,
  RUN_RECORD_SCHEMA,
  RUN_RECORD_VERSION,
  type RunRecord,
  type RungStatus,
} from "../types.js";

const RUNG_STATUSES: readonly RungStatus[] = ["PASS", "FAILED", "SKIPPED"];

const RECORD_HINT =
  "a run record is the JSON file `shrinkbench run` writes under results/; " +
  "regenerate it with `shrinkbench run`, or replace a baseline with `shrinkbench check --update-baseline`";

// ---------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses and validates a run record. Every complaint is an InputError that names the file and
 * the JSON path of the field, e.g. `results/baseline.json: rungs[3].image.sizeBytes: expected a
 * number, got "12"`. Fields this version does not know are kept and ignored.
 */
export function parseRunRecord(json: string, file: string): RunRecord {
  const data = parseJson(json, file, RECORD_HINT, "a JSON run record");
  validateRunRecord(data, file);
  return data;
}

/** Reads and validates a run record; a missing or unreadable file is an InputError. */
export async function readRunRecord(path: string): Promise<RunRecord> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new InputError(
        `${path}: no such file`,
        "check the path; `shrinkbench run` writes run records under results/",
      );
    }
    if (code === "EISDIR") {
      throw new InputError(`${path}: is a directory, not a run record`, "name the .json file");
    }
    throw new InputError(`${path}: cannot read: ${(err as Error).message}`);
  }
  return parseRunRecord(text, path);
}

/** The text written to disk for a record: two-space indented JSON with a final newline. */
export function serializeRunRecord(record: RunRecord): string {
  return JSON.stringify(record, null, 2) + "\n";
}

/** Writes a run record atomically (see writeFileAtomic). */
export async function writeRunRecord(path: string, record: RunRecord): Promise<void> {
  await writeFileAtomic(path, serializeRunRecord(record));
}

/**
 * Writes `text` to `path` through a temporary file in the same directory and a rename, so that
 * a process killed while writing leaves the previous file intact. Creates the directory.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** `<YYYYMMDD-HHMMSS>-<ladder>.json` from the record's startedAt, in UTC. */
export function recordFileName(record: Pick<RunRecord, "startedAt" | "ladder">): string {
  const started = new Date(record.startedAt);
  if (Number.isNaN(started.getTime())) {
    throw new InputError(`startedAt: not a timestamp: ${JSON.stringify(record.startedAt)}`);
  }
  const p = (n: number): string => String(n).padStart(2, "0");
  const stamp =
    `${started.getUTCFullYear()}${p(started.getUTCMonth() + 1)}${p(started.getUTCDate())}-` +
    `${p(started.getUTCHours())}${p(started.getUTCMinutes())}${p(started.getUTCSeconds())}`;
  const ladder = record.ladder.name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[-.]+/, "");
  return `${stamp}-${ladder || "ladder"}.json`;
}

// ---------------------------------------------------------------------------------------------
// Validation

/** An optional array of non-negative numbers (timing samples). */
function numberArray(v: FieldValidator, obj: JsonObject, key: string, path: string): void {
  const value = obj[key];
  if (value === undefined) return;
  if (!Array.isArray(value)) v.expected(`${path}.${key}`, "an array of numbers", value);
  value.forEach((x: unknown, i: number) => {
    if (typeof x !== "number" || !Number.isFinite(x) || x < 0) {
      v.expected(`${path}.${key}[${i}]`, "a number of at least 0", x);
    }
  });
}

function validateRunRecord(data: unknown, file: string): asserts data is RunRecord {
  const v: FieldValidator = new FieldValidator(file, RECORD_HINT);
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InputError(
      `${file}: not a shrinkbench run record: expected a JSON object, got ${describeValue(data)}`,
      RECORD_HINT,
    );
  }
  const r = data as JsonObject;

  if (r.schema !== RUN_RECORD_SCHEMA) {
    throw new InputError(
      r.schema === undefined
        ? `${file}: not a shrinkbench run record: schema: missing (expected "${RUN_RECORD_SCHEMA}")`
        : `${file}: not a shrinkbench run record: schema: expected "${RUN_RECORD_SCHEMA}", got ${describeValue(r.schema)}`,
      RECORD_HINT,
    );
  }
  const version = r.schemaVersion;
  if (typeof version !== "number" || !Number.isInteger(version)) {
    v.expected("schemaVersion", "a whole number", version);
  }
  if (version > RUN_RECORD_VERSION) {
    throw new InputError(
      `${file}: schemaVersion: this record was written by a newer shrinkbench ` +
        `(run record version ${version}; this shrinkbench reads version ${RUN_RECORD_VERSION})`,
      "upgrade shrinkbench, or regenerate the record with this version",
    );
  }
  if (version !== RUN_RECORD_VERSION) {
    v.fail("schemaVersion", `unsupported run record version ${version}`);
  }

  v.nonEmptyString(r, "runId", "");

  const tool = v.child(r, "tool", "") as JsonObject;
  if (tool.name !== "shrinkbench") v.expected("tool.name", '"shrinkbench"', tool.name);
  v.string(tool, "version", "tool");

  const ladder = v.child(r, "ladder", "") as JsonObject;
  v.nonEmptyString(ladder, "name", "ladder");
  v.string(ladder, "file", "ladder");

  const req = v.child(r, "requirements", "") as JsonObject;
  v.string(req, "file", "requirements");
  v.string(req, "hash", "requirements");
  v.stringArray(req, "names", "requirements");

  const sources = v.child(r, "sources", "") as JsonObject;
  v.string(sources, "indexUrl", "sources", { optional: true });
  v.stringArray(sources, "extraIndexUrls", "sources");
  v.stringArray(sources, "findLinks", "sources");
  v.stringArray(sources, "trustedHosts", "sources");

  const bases = v.child(r, "bases", "") as JsonObject;
  for (const role of BASE_ROLES) v.string(bases, role, "bases");
  const baseImages = v.child(r, "baseImages", "", { optional: true });
  if (baseImages) {
    for (const role of Object.keys(baseImages)) {
      if (!(BASE_ROLES as readonly string[]).includes(role)) {
        v.fail(`baseImages.${role}`, `unknown base role; expected one of ${BASE_ROLES.join(", ")}`);
      }
      const bp = `baseImages.${role}`;
      const found = v.object(baseImages[role], bp);
      v.string(found, "ref", bp);
      v.nonEmptyString(found, "id", bp);
      v.string(found, "repoDigest", bp, { optional: true });
      v.number(found, "sizeBytes", bp, { integer: true, min: 0 });
    }
  }

  const engine = v.child(r, "engine", "") as JsonObject;
  for (const key of ["host", "version", "apiVersion", "os", "arch"]) {
    v.string(engine, key, "engine");
  }

  v.timestamp(r, "startedAt", "");
  v.timestamp(r, "finishedAt", "");
  v.boolean(r, "interrupted", "");

  if (!Array.isArray(r.rungs)) v.expected("rungs", "an array", r.rungs);
  const seen = new Map<string, number>();
  r.rungs.forEach((item: unknown, i: number) => {
    const path = `rungs[${i}]`;
    const rung = v.object(item, path);
    v.nonEmptyString(rung, "rung", path);
    const id = rung.rung as string;
    const first = seen.get(id);
    if (first !== undefined) {
      v.fail(`${path}.rung`, `duplicate rung id "${id}" (also rungs[${first}])`);
    }
    seen.set(id, i);
    v.string(rung, "title", path);
    v.oneOf(rung, "base", path, BASE_ROLES);
    v.string(rung, "baseImage", path);
    v.oneOf(rung, "status", path, RUNG_STATUSES);
    v.string(rung, "reason", path, { optional: true });

    const image = v.child(rung, "image", path, { optional: true });
    if (image) {
      const ip = `${path}.image`;
      v.string(image, "id", ip);
      v.string(image, "tag", ip);
      v.number(image, "sizeBytes", ip, { integer: true, min: 0 });
      v.number(image, "baseSizeBytes", ip, { integer: true, min: 0 });
      v.number(image, "addedBytes", ip, { integer: true });
      v.number(image, "layers", ip, { integer: true, min: 0 });
      v.number(image, "baseLayers", ip, { integer: true, min: 0 });
    }
    for (const key of ["buildSeconds", "pullSeconds", "postSeconds"]) {
      v.number(rung, key, path, { optional: true, min: 0 });
    }
    v.number(rung, "contextBytes", path, { optional: true, integer: true, min: 0 });
    for (const key of ["buildSamples", "postSamples", "buildRatioSamples"]) {
      numberArray(v, rung, key, path);
    }
    v.number(rung, "buildRatio", path, { optional: true, min: 0 });
    v.string(rung, "busy", path, { optional: true });
    if (rung.buildLoad !== undefined) {
      if (!Array.isArray(rung.buildLoad)) v.expected(`${path}.buildLoad`, "an array", rung.buildLoad);
      rung.buildLoad.forEach((item: unknown, j: number) => {
        const lp = `${path}.buildLoad[${j}]`;
        const load = v.object(item, lp);
        for (const key of ["loadBefore", "loadAfter", "cpus", "concurrentBuilds"]) {
          v.number(load, key, lp, { min: 0 });
        }
        v.number(load, "engineCpu", lp, { optional: true, min: 0 });
        v.number(load, "selfCpu", lp, { optional: true, min: 0 });
        v.number(load, "machineCpu", lp, { optional: true, min: 0 });
        for (const key of ["kernelCpu", "stealCpu", "otherCpu"]) {
          v.number(load, key, lp, { optional: true, min: 0 });
        }
        if (load.busiestOthers !== undefined) {
          if (!Array.isArray(load.busiestOthers)) {
            v.expected(`${lp}.busiestOthers`, "an array", load.busiestOthers);
          }
          load.busiestOthers.forEach((o: unknown, k: number) => {
            const op = `${lp}.busiestOthers[${k}]`;
            const other = v.object(o, op);
            v.string(other, "name", op);
            v.number(other, "cpu", op, { min: 0 });
          });
        }
        v.string(load, "startedAt", lp, { optional: true });
      });
    }

    const smoke = v.child(rung, "smoke", path, { optional: true });
    if (smoke) {
      const sp = `${path}.smoke`;
      v.boolean(smoke, "passed", sp);
      v.string(smoke, "description", sp);
      v.number(smoke, "seconds", sp, { min: 0 });
      v.stringArray(smoke, "outputTail", sp);
      v.number(smoke, "importSeconds", sp, { optional: true, min: 0 });
      numberArray(v, smoke, "importSamples", sp);
    }
    v.stringArray(rung, "logTail", path, { optional: true });
    v.string(rung, "engine", path, { optional: true });
    const phases = v.child(rung, "phaseSeconds", path, { optional: true });
    if (phases) {
      for (const key of Object.keys(phases)) {
        v.number(phases, key, `${path}.phaseSeconds`, { min: 0 });
      }
    }
    if (rung.builder !== undefined) v.oneOf(rung, "builder", path, ["buildkit", "classic"]);
    v.timestamp(rung, "startedAt", path);
    v.timestamp(rung, "finishedAt", path);
  });

  v.number(r, "repeat", "", { optional: true, integer: true, min: 1 });
  if (r.sizesOnly !== undefined && r.sizesOnly !== true) v.expected("sizesOnly", "true", r.sizesOnly);
  v.string(r, "referenceRung", "", { optional: true });

  const rec = v.child(r, "recommendation", "", { optional: true });
  if (rec) {
    const rp = "recommendation";
    v.stringArray(rec, "frontier", rp);
    for (const key of ["smallest", "fastestBuild", "fastestImport"]) {
      v.string(rec, key, rp, { optional: true });
    }
    const budget = v.child(rec, "budget", rp, { optional: true });
    if (budget) {
      v.number(budget, "bytes", `${rp}.budget`, { integer: true, min: 0 });
      v.string(budget, "best", `${rp}.budget`, { optional: true });
    }
    v.stringArray(rec, "notes", rp);
    const ties = v.child(rec, "ties", rp, { optional: true });
    if (ties) {
      v.stringArray(ties, "build", `${rp}.ties`, { optional: true });
      v.stringArray(ties, "import", `${rp}.ties`, { optional: true });
    }
    v.number(rec, "samples", rp, { optional: true, integer: true, min: 1 });
    v.string(rec, "recommended", rp, { optional: true });
    v.string(rec, "reason", rp, { optional: true });
  }
}

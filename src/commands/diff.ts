// `shrinkbench diff A B`: what changed between two images, archives or OCI layouts (any mix),
// two rungs of run records (`run.json#slim`), or two run records (every rung in both).

import { existsSync } from "node:fs";
import type { Engine } from "../docker/engine.js";
import { EXIT, InputError } from "../errors.js";
import { parseImageSource, sourceName } from "../image/archive/sources.js";
import { diffImages, sideFromInspection, sideFromReport, type DiffSide } from "../image/diff.js";
import { renderDiff, renderRecordDiff, type DiffFormat, type RungDiff } from "../report/diff.js";
import { readRunRecord } from "../results/record.js";
import type { RunRecord } from "../types.js";
import { inspectSource } from "./inspect.js";
import type { Output } from "./io.js";

export interface DiffOptions {
  a: string;
  b: string;
  format: DiffFormat;
  top: number;
  dockerHost?: string;
  /** --context NAME: a docker context, as `docker --context`. */
  context?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
}

type Operand =
  | { kind: "record"; file: string }
  | { kind: "rung"; file: string; rung: string }
  | { kind: "image"; arg: string };

function operand(arg: string): Operand {
  const hash = arg.lastIndexOf("#");
  if (hash > 0 && arg.slice(0, hash).endsWith(".json")) {
    return { kind: "rung", file: arg.slice(0, hash), rung: arg.slice(hash + 1) };
  }
  if (arg.endsWith(".json") && existsSync(arg)) return { kind: "record", file: arg };
  return { kind: "image", arg };
}

function rungSide(record: RunRecord, file: string, rung: string): DiffSide {
  const r = record.rungs.find((x) => x.rung === rung);
  if (!r) {
    throw new InputError(
      `${file}: no rung ${rung}`,
      `rungs in it: ${record.rungs.map((x) => x.rung).join(", ")}`,
    );
  }
  if (!r.inspection || !r.image) {
    throw new InputError(
      `${file}#${rung}: the rung has no inspection (${r.status}${r.reason ? `: ${r.reason}` : ""})`,
      "record it with a run that inspects (without --no-inspect), or diff the images themselves",
    );
  }
  return sideFromInspection(r.inspection, r.image.sizeBytes, `${file}#${rung}`);
}

export async function diffCommand(
  opts: DiffOptions,
  io: Pick<Output, "stdout">,
  engine?: Engine,
): Promise<number> {
  const a = operand(opts.a);
  const b = operand(opts.b);
  if (opts.a === "-" && opts.b === "-") {
    throw new InputError("diff: only one side can be read from stdin", "save the other to a file");
  }
  if (a.kind === "record" || b.kind === "record") {
    if (a.kind !== "record" || b.kind !== "record") {
      throw new InputError(
        "diff: a whole run record can only be compared with another record",
        "name a rung (run.json#slim) to compare it with an image or another rung",
      );
    }
    const [ra, rb] = await Promise.all([readRunRecord(a.file), readRunRecord(b.file)]);
    const rungs: RungDiff[] = [];
    const notes: string[] = [];
    for (const r of rb.rungs) {
      const before = ra.rungs.find((x) => x.rung === r.rung);
      if (!before) {
        notes.push(`${r.rung}: only in ${b.file}`);
        continue;
      }
      if (!before.inspection || !r.inspection || !before.image || !r.image) {
        notes.push(`${r.rung}: not inspected on both sides`);
        continue;
      }
      rungs.push({
        rung: r.rung,
        diff: diffImages(
          sideFromInspection(before.inspection, before.image.sizeBytes, a.file),
          sideFromInspection(r.inspection, r.image.sizeBytes, b.file),
          opts.top,
        ),
      });
    }
    for (const r of ra.rungs) {
      if (!rb.rungs.some((x) => x.rung === r.rung)) notes.push(`${r.rung}: only in ${a.file}`);
    }
    io.stdout(renderRecordDiff(a.file, b.file, rungs, notes, opts.format, opts.top));
    return EXIT.ok;
  }
  const side = async (o: Operand): Promise<DiffSide> => {
    if (o.kind === "rung") return rungSide(await readRunRecord(o.file), o.file, o.rung);
    const source = parseImageSource((o as { arg: string }).arg);
    // gzip sizes are not compared: skip their cost
    const report = await inspectSource(source, { ...opts, gzip: false, keepFiles: true }, engine);
    return sideFromReport(report, sourceName(source));
  };
  // One after the other: two reads of big images at once would only compete for the disk.
  const sa = await side(a);
  const sb = await side(b);
  io.stdout(renderDiff(diffImages(sa, sb, opts.top), opts.format, opts.top));
  return EXIT.ok;
}

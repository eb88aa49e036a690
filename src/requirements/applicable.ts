// Which requirements apply to an interpreter: a requirement whose environment marker is false
// there is neither installed by pip nor expected by the smoke test, and the run says why
// (`colorama: sys_platform == "win32" is false (sys_platform is "linux")`). Pure.

import { InputError, at } from "../errors.js";
import type { Requirement } from "../types.js";
import {
  evaluateMarker,
  MarkerEvaluationError,
  parseMarker,
  type MarkerEnvironment,
  type MarkerNode,
} from "./markers.js";

/** A requirement a marker leaves out, with the reason in words. */
export interface LeftOut {
  /** The distribution name, or the line for an unnamed requirement. */
  name: string;
  line: string;
  marker: string;
  /** e.g. `sys_platform == "win32" is false (sys_platform is "linux")`. */
  why: string;
}

function variablesOf(node: MarkerNode, out = new Set<string>()): Set<string> {
  if (node.kind !== "compare") {
    variablesOf(node.left, out);
    variablesOf(node.right, out);
  } else {
    for (const side of [node.left, node.right]) if ("variable" in side) out.add(side.variable);
  }
  return out;
}

/** Splits requirements into those whose marker holds in `env` (or that have none) and the rest. */
export function applicableRequirements(
  requirements: readonly Requirement[],
  env: MarkerEnvironment,
): { kept: Requirement[]; leftOut: LeftOut[] } {
  const kept: Requirement[] = [];
  const leftOut: LeftOut[] = [];
  for (const r of requirements) {
    if (r.marker === undefined) {
      kept.push(r);
      continue;
    }
    const tree = parseMarker(r.marker);
    let holds: boolean;
    try {
      holds = evaluateMarker(tree, env);
    } catch (e) {
      if (!(e instanceof MarkerEvaluationError)) throw e;
      throw new InputError(
        `${at(r.source.file, r.source.line)}: the marker ${JSON.stringify(r.marker)} cannot be evaluated: ${e.message}`,
        "pip refuses it too: compare versions with a valid version (e.g. ~= needs two numbers: ~=3.10)",
      );
    }
    if (holds) {
      kept.push(r);
      continue;
    }
    const values: Record<string, string> = { ...env, extra: "" };
    const shown = [...variablesOf(tree)].map((v) => `${v} is ${JSON.stringify(values[v] ?? "")}`);
    leftOut.push({
      name: r.name || r.line,
      line: r.line,
      marker: r.marker,
      why: `${r.marker} is false (${shown.join(", ")})`,
    });
  }
  return { kept, leftOut };
}

// The part of an inspect report a run record keeps for every rung.
import type { RungInspection } from "../types.js";
import type { InspectReport } from "./types.js";

/** Enough for `check` and `diff` to say which packages grew, few enough to keep records small. */
const TOP_DISTRIBUTIONS = 10;
const TOP_WASTED_PATHS = 5;

export function summarizeInspection(report: InspectReport): RungInspection {
  return {
    wastedBytes: report.waste.wastedBytes,
    efficiency: report.waste.efficiency,
    hiddenBytes: report.waste.hiddenBytes,
    duplicateSavingsBytes: report.duplicates.savingsBytes,
    categories: report.python.categories
      .filter((c) => c.bytes > 0)
      .map(({ id, title, bytes }) => ({ id, title, bytes })),
    topDistributions: report.python.distributions
      .slice(0, TOP_DISTRIBUTIONS)
      .map(({ name, bytes }) => ({ name, bytes })),
    findings: report.findings.map(({ id, bytes, message, advice }) => ({
      id,
      bytes,
      message,
      advice,
    })),
    userSizeBytes: report.waste.userSizeBytes,
    diveWastedBytes: report.waste.dive.wastedBytes,
    diveEfficiency: report.waste.dive.efficiency,
    topWastedPaths: report.waste.topPaths
      .slice(0, TOP_WASTED_PATHS)
      .map(({ path, wastedBytes }) => ({ path, wastedBytes })),
    layerBytes: report.layers.map((l) => l.sizeBytes),
  };
}

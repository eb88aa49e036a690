// The pure analysis of `shrinkbench inspect`: a CollectedImage in, an InspectReport out.

import { findDuplicates } from "./duplicates.js";
import { findings, type FindingOptions } from "./findings.js";
import { walkLayers, type VisibleFile } from "./layers.js";
import { pythonBreakdown } from "./python-breakdown.js";
import {
  INSPECT_SCHEMA,
  INSPECT_VERSION,
  type CollectedImage,
  type InspectReport,
  type VisibleFileRecord,
} from "./types.js";
import { wasteSummary } from "./waste.js";

export interface AnalyzeOptions extends FindingOptions {
  /** Keep the list of visible regular files in the report (`diff` compares them). */
  keepFiles?: boolean;
}

export function analyzeImage(image: CollectedImage, opts: AnalyzeOptions = {}): InspectReport {
  const walk = walkLayers(image.layers);
  const waste = wasteSummary(walk);
  const python = pythonBreakdown(walk.visible, (f) => image.layers[f.layer]?.texts.get(f.entry));
  const duplicates = findDuplicates(walk.visible);
  let files = 0;
  let visibleBytes = 0;
  for (const f of walk.visible.values()) {
    if (f.kind !== "file") continue;
    files++;
    visibleBytes += f.size;
  }
  const gzipKnown = walk.layers.every((l) => l.gzipBytes !== undefined);
  return {
    schema: INSPECT_SCHEMA,
    schemaVersion: INSPECT_VERSION,
    image: {
      ref: image.ref,
      id: image.id,
      repoTags: image.repoTags,
      ...(image.engineSizeBytes !== undefined ? { engineSizeBytes: image.engineSizeBytes } : {}),
      ...(image.architecture ? { architecture: image.architecture } : {}),
      ...(image.os ? { os: image.os } : {}),
      ...(image.created ? { created: image.created } : {}),
    },
    layers: walk.layers,
    totals: {
      layers: walk.layers.length,
      sizeBytes: walk.layers.reduce((s, l) => s + l.sizeBytes, 0),
      tarBytes: walk.layers.reduce((s, l) => s + l.tarBytes, 0),
      ...(gzipKnown && walk.layers.length > 0
        ? { gzipBytes: walk.layers.reduce((s, l) => s + (l.gzipBytes ?? 0), 0) }
        : {}),
      files,
      visibleBytes,
    },
    waste,
    python,
    duplicates,
    findings: findings(walk, python, duplicates, opts),
    ...(opts.keepFiles ? { files: visibleFiles(walk.visible) } : {}),
  };
}

function visibleFiles(visible: Map<string, VisibleFile>): VisibleFileRecord[] {
  const files: VisibleFileRecord[] = [];
  for (const f of visible.values()) {
    if (f.kind !== "file") continue;
    files.push({ path: f.path, size: f.size, ...(f.sha256 ? { sha256: f.sha256 } : {}) });
  }
  return files;
}

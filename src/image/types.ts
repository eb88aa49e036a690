// The vocabulary of `shrinkbench inspect`. Collection (src/docker/inspect-image.ts) streams
// an image into a CollectedImage; the pure analysis (analyze.ts) turns that into an
// InspectReport; render.ts prints it. Bytes are bytes throughout. Exact definitions of
// every number: docs/inspect.md.

import type { MergeKind } from "./overlay.js";

/** One entry of a layer tar, as collected. */
export interface EntryRecord {
  /** Normalised path: no leading "./" or "/", no trailing "/". */
  path: string;
  kind: MergeKind;
  /** Content bytes: the tar header size (regular files; 0 for everything else). */
  size: number;
  /** Symlinks: the target; hardlinks: the path they link to. */
  linkname?: string;
  /** Regular files: sha256 of the content, hex. */
  sha256?: string;
}

/** What collection learns about one layer. */
export interface LayerData {
  /** Position in the stack, bottom first. */
  index: number;
  /** "sha256:..." of the uncompressed layer tar. */
  diffId: string;
  /** The history entry's created_by (the instruction that made the layer), when known. */
  createdBy?: string;
  entries: EntryRecord[];
  /** Length of the uncompressed layer tar. */
  tarBytes: number;
  /** gzip (level 6) of the layer tar, as a registry push sends it; absent when not computed. */
  gzipBytes?: number;
  /** Contents of Python metadata files (`*.dist-info/RECORD`, `*.{dist,egg}-info/top_level.txt`),
   * by entry index. */
  texts: Map<number, string>;
}

/** Everything an image is analysed from. */
/** Which image a report is about, as the engine or the archive names it. */
export interface ImageIdentity {
  ref: string;
  /** "sha256:..." image id. */
  id: string;
  repoTags: string[];
  /** `docker image inspect` .Size, when the engine was asked. */
  engineSizeBytes?: number;
  architecture?: string;
  os?: string;
  created?: string;
}

export interface CollectedImage extends ImageIdentity {
  layers: LayerData[];
}

export interface LayerReport {
  index: number;
  diffId: string;
  /** The instruction, shortened for a table ("RUN pip install ..."). */
  instruction: string;
  /** created_by as the history has it. */
  createdBy: string;
  /** Bytes the engine counts for the layer: regular files plus symlink targets. */
  sizeBytes: number;
  /** Uncompressed layer tar length (headers and padding included). */
  tarBytes: number;
  /** gzip level 6 of the layer tar. */
  gzipBytes?: number;
  /** Non-directory entries at paths absent below this layer. */
  added: number;
  /** Non-directory entries at paths present below this layer. */
  changed: number;
  /** Files (non-directories) of lower layers this layer deleted. */
  removed: number;
}

export interface WastePath {
  path: string;
  /** How many times the path was written or deleted across layers. */
  count: number;
  cumulativeBytes: number;
  minimumBytes: number;
  /** cumulativeBytes − minimumBytes. */
  wastedBytes: number;
}

export interface WasteSummary {
  /** Σ over paths of (cumulative − minimum). */
  wastedBytes: number;
  /** Σ minimum / Σ cumulative (dive's efficiency); 1 for an image with no files. */
  efficiency: number;
  /** Σ cumulative over all paths. */
  cumulativeBytes: number;
  /** Σ minimum over all paths. */
  minimumBytes: number;
  /** Bytes stored in layers but not visible in the image (deleted or overwritten later):
   * what squashing the image would reclaim. */
  hiddenBytes: number;
  /** The paths with the most wasted bytes (at most 20). */
  topPaths: WastePath[];
  /** Σ layer sizes above the first (bottom) layer: the bytes "the user" added, as dive counts them. */
  userSizeBytes: number;
  /** wastedBytes / userSizeBytes (0 when nothing is wasted; Infinity with waste and no user bytes). */
  userWastedRatio: number;
  /**
   * The same image by dive's formulas and observations, for comparison: wasted = Σ
   * cumulative over the paths seen more than once (it counts the copy that is needed too),
   * user wasted = that / userSizeBytes, efficiency = Σ minimum / Σ cumulative where a
   * deleted directory is one observation of the bytes under it (docs/inspect.md).
   */
  dive: { wastedBytes: number; userWastedRatio: number; efficiency: number };
}

export interface DistributionSize {
  /** PEP 503 normalised name, or the top-level directory for unrecorded files. */
  name: string;
  version?: string;
  /** The site-packages (or dist-packages) directory it lives in. */
  site: string;
  bytes: number;
  files: number;
  /** "RECORD": the files its *.dist-info/RECORD lists, plus unlisted files under the
   * top-level names it installed (e.g. .pyc compiled later); "metadata": a dist without
   * RECORD (an .egg-info) whose top_level.txt names its packages; "directory": files no
   * metadata claims, grouped by their top-level name under the site directory. */
  source: "RECORD" | "metadata" | "directory";
}

export type CategoryId =
  | "tests"
  | "pycache"
  | "extensions"
  | "vendored-libs"
  | "sources"
  | "docs"
  | "pip-cache"
  | "apt-lists"
  | "apt-cache"
  | "apk-cache";

export interface CategorySize {
  id: CategoryId;
  title: string;
  bytes: number;
  files: number;
}

export interface PythonBreakdown {
  /** Largest first. */
  distributions: DistributionSize[];
  /** Every category, in a fixed order; a file may count in several. */
  categories: CategorySize[];
}

export interface DuplicateGroup {
  sha256: string;
  /** Size of one copy. */
  size: number;
  paths: string[];
  /** size × (copies − 1). */
  savingsBytes: number;
  sharedLibrary: boolean;
}

export interface DuplicateSummary {
  /** Shared libraries first, then by savings (at most 50 groups). */
  groups: DuplicateGroup[];
  totalGroups: number;
  duplicateFiles: number;
  /** What keeping one copy of each group would save. */
  savingsBytes: number;
}

export type FindingId =
  | "pip-cache"
  | "apt-lists"
  | "apt-cache"
  | "apk-cache"
  | "cleanup-in-later-layer"
  | "overwritten-in-later-layer"
  | "duplicate-files"
  | "python-tests";

export interface Finding {
  id: FindingId;
  /** The hadolint rule it follows in spirit, when there is one. */
  hadolint?: string;
  /** The measured price. */
  bytes: number;
  /** One line: what and where, with the bytes. */
  message: string;
  /** What to do about it. */
  advice: string;
  /** Layers involved (stack indices). */
  layers: number[];
}

export const INSPECT_SCHEMA = "shrinkbench/inspect";
export const INSPECT_VERSION = 1;

export interface InspectReport {
  schema: typeof INSPECT_SCHEMA;
  schemaVersion: typeof INSPECT_VERSION;
  image: ImageIdentity;
  layers: LayerReport[];
  totals: {
    layers: number;
    /** Σ layer sizeBytes: agrees with the engine's .Size. */
    sizeBytes: number;
    tarBytes: number;
    /** Σ gzip sizes, when computed for every layer. */
    gzipBytes?: number;
    /** Regular files visible in the image, and their bytes. */
    files: number;
    visibleBytes: number;
  };
  waste: WasteSummary;
  python: PythonBreakdown;
  duplicates: DuplicateSummary;
  /** Largest first. */
  findings: Finding[];
  /** The visible regular files, when asked for (`keepFiles`: `diff` compares them). */
  files?: VisibleFileRecord[];
}

export interface VisibleFileRecord {
  path: string;
  size: number;
  sha256?: string;
}

// Direct references to package files: a wheel or source archive on this machine
// (`./wheels/x-1.0-py3-none-any.whl`, `x @ file:///abs/x-1.0-py3-none-any.whl`) or at an http(s)
// URL (`x @ https://user:token@host/x-1.0-py3-none-any.whl`). The run's package server serves
// each of them, so the requirements a build reads name the server's URL instead: a host path
// means nothing inside a build, and a URL's credentials must never reach an image. Pure: which
// requirements are such references, and the set with their lines rewritten.

import * as path from "node:path";
import type { Requirement, RequirementsSet } from "../types.js";
import { splitRequirementLine } from "./parse.js";
import { isArchiveName } from "./references.js";

export type DirectFileLocation = { kind: "local"; path: string } | { kind: "remote"; url: string };

export interface DirectFile {
  /** The file's identity in a run: its absolute path, or its URL without the fragment. */
  key: string;
  /** Where the package server gets it; a remote URL keeps its credentials (host side only). */
  location: DirectFileLocation;
  /** The name pip reads the project, version and tags from: the path's last segment. */
  fileName: string;
  /** A `#sha256=...` fragment pip checks the file against, kept in the rewritten URL; or "". */
  fragment: string;
}

function lastSegment(p: string): string {
  const name = p.split("/").pop() ?? "";
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/** The package file a requirement refers to directly, or undefined (a name, a VCS URL, a folder). */
export function directFileOf(req: Requirement): DirectFile | undefined {
  if (req.localFile !== undefined) {
    return {
      key: req.localFile,
      location: { kind: "local", path: req.localFile },
      fileName: path.basename(req.localFile),
      fragment: /#.*$/.exec(req.url ?? "")?.[0] ?? "",
    };
  }
  if (req.url === undefined || !/^https?:\/\//i.test(req.url)) return undefined;
  let u: URL;
  try {
    u = new URL(req.url);
  } catch {
    return undefined;
  }
  const fileName = lastSegment(u.pathname);
  if (!isArchiveName(fileName)) return undefined;
  const fragment = u.hash;
  const key = req.url.replace(/#.*$/, "");
  return { key, location: { kind: "remote", url: key }, fileName, fragment };
}

/** Every distinct package file the set's requirements and constraints refer to, in file order. */
export function directFiles(set: RequirementsSet): DirectFile[] {
  const byKey = new Map<string, DirectFile>();
  for (const req of [...set.requirements, ...set.constraints]) {
    const f = directFileOf(req);
    if (f && !byKey.has(f.key)) byKey.set(f.key, f);
  }
  return [...byKey.values()];
}

/**
 * The requirement pointing at `url` instead: `name[extras] @ URL ; marker` followed by the
 * line's own per-requirement options (`--hash` stays valid: the server sends the same bytes).
 */
export function pointRequirementAt(req: Requirement, url: string): Requirement {
  const { options } = splitRequirementLine(req.line);
  const extras = req.extras.length > 0 ? `[${req.extras.join(",")}]` : "";
  // PEP 508 wants a space before the marker's ";" after a URL; a bare URL line takes "; ".
  const head = req.rawName !== "" ? `${req.rawName}${extras} @ ${url} ` : `${url}`;
  const marker = req.marker !== undefined ? `; ${req.marker}` : "";
  const line = `${head}${marker}`.trim() + (options !== "" ? ` ${options}` : "");
  const out: Requirement = { ...req, url, line };
  delete out.localFile;
  return out;
}

/**
 * The set with every direct file reference pointing where `urlOf` says (the package server's
 * URL of the file, fragment added here). Requirements that are not direct files are unchanged.
 */
export function rewriteDirectFiles(
  set: RequirementsSet,
  urlOf: (f: DirectFile) => string,
): RequirementsSet {
  const point = (req: Requirement): Requirement => {
    const f = directFileOf(req);
    return f ? pointRequirementAt(req, `${urlOf(f)}${f.fragment}`) : req;
  };
  return {
    ...set,
    requirements: set.requirements.map(point),
    constraints: set.constraints.map(point),
  };
}

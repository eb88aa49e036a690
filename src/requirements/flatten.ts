// Flattening a loaded requirements set into the files a build context carries: one
// requirements.txt (options that change what is installed, then every line as written, in include
// order) and one constraints.txt; package-source options are left out and credentials refused.

import * as path from "node:path";
import { InputError, at } from "../errors.js";
import type { Requirement, RequirementsSet } from "../types.js";
import { SOURCE_OPTIONS, shellQuote } from "./pip-options.js";

/** True when a URL carries a password or a token in its user part (`${VAR}` does not count). */
export function urlHasCredentials(url: string): boolean {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)@/.exec(url);
  if (!m) return false;
  const scheme = m[1]!.toLowerCase();
  const userinfo = m[2]!.replace(/\$\{[A-Za-z0-9_]+\}/g, "");
  if (userinfo === "" || userinfo === ":") return false;
  if (userinfo.includes(":")) return true;
  // A lone user is a token on http(s); on ssh it is the account name (git@github.com).
  return !scheme.endsWith("ssh");
}

function refuseCredentials(reqs: Requirement[]): void {
  for (const r of reqs) {
    const urls = r.line.match(/[A-Za-z][A-Za-z0-9+.-]*:\/\/\S+/g) ?? [];
    if (urls.some(urlHasCredentials)) {
      throw new InputError(
        `${at(r.source.file, r.source.line)}: this requirement's URL carries credentials, and the requirements file is copied into the image`,
        "publish the package on an index and pass it with --extra-index-url (credentials stay on the host), or use a URL without credentials",
      );
    }
  }
}

function header(set: RequirementsSet, what: string): string[] {
  return [
    `# ${what} of ${path.basename(set.file)}, flattened by shrinkbench (sha256 ${set.hash.slice(0, 12)}).`,
    "# Package source options (indexes, links, trusted hosts) are left out: the run supplies its own.",
  ];
}

function bodyLines(reqs: Requirement[], top: string): string[] {
  const out: string[] = [];
  let current = top;
  for (const r of reqs) {
    if (r.source.file !== current) {
      out.push(`# from ${path.basename(r.source.file)}`);
      current = r.source.file;
    }
    out.push(r.line);
  }
  return out;
}

export interface FlattenOptions {
  /** When set and the set has constraints, adds `-c NAME` so pip applies flattenConstraints' file. */
  constraintsFile?: string;
}

/**
 * The text of one requirements file for a build context: pip options that change what gets
 * installed (`--pre`, `--only-binary`, ...), then every requirement line as written (including
 * `--hash` options), in include order. Index, find-links and trusted-host lines are left out.
 * Throws InputError for a requirement whose URL carries credentials.
 */
export function flattenRequirements(set: RequirementsSet, options: FlattenOptions = {}): string {
  refuseCredentials(set.requirements);
  const out = header(set, "Requirements");
  for (const o of set.options) {
    if (SOURCE_OPTIONS.has(o.option)) continue;
    out.push(o.value === undefined ? o.option : `${o.option} ${shellQuote(o.value)}`);
  }
  if (options.constraintsFile && set.constraints.length > 0) {
    out.push(`-c ${shellQuote(options.constraintsFile)}`);
  }
  out.push(...bodyLines(set.requirements, set.file));
  return `${out.join("\n")}\n`;
}

/** The constraint lines of the set (from `-c` files) as one constraints file. */
export function flattenConstraints(set: RequirementsSet): string {
  refuseCredentials(set.constraints);
  const out = header(set, "Constraints");
  out.push(...bodyLines(set.constraints, ""));
  return `${out.join("\n")}\n`;
}

// pip's own words when an install fails: reading its error lines out of a build log or a
// resolve's output, so that a FAILED rung says "No matching distribution found for numpy>=99"
// rather than the shell command that ran pip, and so that the pre-build resolve can name the
// requirement and the versions that do exist.

/** What a failed pip run said, classified. */
export type PipFailure =
  | {
      kind: "no-match";
      /** The requirement as pip printed it, e.g. "numpy>=99". */
      requirement: string;
      /** The versions the sources offer ("from versions: ..."); empty for "none". */
      versions: string[];
      line: string;
    }
  | {
      kind: "conflict";
      line: string;
      /** pip's "The conflict is caused by:" lines, trimmed. */
      causes: string[];
    }
  | { kind: "other"; line: string };

/** A log line without the builder's prefix (BuildKit's "#8 " or "#8 3.21 "). */
function bare(line: string): string {
  return line.replace(/^#\d+ (?:\d+(?:\.\d+)? )?/, "").trimEnd();
}

/** The builder's own complaint that the command failed, not pip's. */
const BUILDER_ERROR =
  /^ERROR: (?:The command '|executor failed running |process ".*" did not complete)/;

const NO_VERSION =
  /Could not find a version that satisfies the requirement (.+?) \(from versions: (.*)\)\s*$/;
const NO_MATCH = /No matching distribution found for (.+?)\s*$/;
const CONFLICT =
  /^ERROR: Cannot install .* because these package versions have conflicting dependencies\.?$/;

/** Classifies pip's output; undefined when it holds no pip error line. */
export function parsePipFailure(
  output: string | readonly string[],
  ignore?: string,
): PipFailure | undefined {
  const lines = (typeof output === "string" ? output.split(/\r?\n/) : output).map(bare);
  const noMatch = [...lines].reverse().find((l) => NO_MATCH.test(l));
  if (noMatch) {
    const requirement = NO_MATCH.exec(noMatch)![1]!;
    const found = lines.map((l) => NO_VERSION.exec(l)).find((m) => m && m[1] === requirement);
    const list = found?.[2]?.trim() ?? "none";
    const versions = list === "none" || list === "" ? [] : list.split(/,\s*/);
    return { kind: "no-match", requirement, versions, line: noMatch.replace(/^ERROR:\s*/, "") };
  }
  const conflictAt = lines.findIndex((l) => CONFLICT.test(l));
  if (conflictAt >= 0) {
    const causes: string[] = [];
    // pip prints the causes to stdout and the error to stderr: either may come first.
    const start = lines.findIndex((l) => l.trim() === "The conflict is caused by:");
    if (start >= 0) {
      for (const l of lines.slice(start + 1)) {
        if (!/^\s+\S/.test(l)) break;
        causes.push(l.trim());
      }
    }
    return { kind: "conflict", line: lines[conflictAt]!.replace(/^ERROR:\s*/, ""), causes };
  }
  const errors = lines.filter((l) => /^ERROR: /.test(l) && l !== ignore && !BUILDER_ERROR.test(l));
  const last = errors.at(-1);
  if (last) return { kind: "other", line: last.replace(/^ERROR:\s*/, "") };
  // pip's rich errors: "error: subprocess-exited-with-error" then "× <what happened>".
  const rich = lines.findIndex((l) => /^error: [a-z-]+$/.test(l.trim()));
  if (rich >= 0) {
    const what = lines.slice(rich + 1).find((l) => /^\s*×/.test(l));
    return { kind: "other", line: what ? what.replace(/^\s*×\s*/, "") : lines[rich]!.trim() };
  }
  return undefined;
}

/** One line for a FAILED rung's reason: pip's own error, the versions that exist included. */
export function describePipFailure(f: PipFailure): string {
  if (f.kind === "no-match") {
    const have = f.versions.length ? f.versions.join(", ") : "none";
    return `${f.line} (versions the sources offer: ${have})`;
  }
  if (f.kind === "conflict") return [f.line, ...f.causes].join("; ");
  return f.line;
}

/** pip's error in a build log, for the rung's reason; undefined when pip did not say anything. */
export function pipErrorReason(log: readonly string[], engineError?: string): string | undefined {
  const f = parsePipFailure(log, engineError === undefined ? undefined : `ERROR: ${engineError}`);
  return f && describePipFailure(f);
}

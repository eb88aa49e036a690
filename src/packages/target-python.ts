// The Python a base image runs, as pip on this machine must know it to download files for that
// image and not for this machine: version, implementation, ABIs and platform tags, read inside
// the image from the packaging library pip vendors (the same tags pip in the build will accept).
// Pure apart from the script's text: the engine runs it, this module reads the answer.

export interface TargetPython {
  /** "3.11" */
  version: string;
  /** "cp" */
  implementation: string;
  /** Most preferred first: "cp311", "abi3", "none". */
  abis: string[];
  /** Most preferred first: "manylinux_2_36_x86_64", …, "linux_x86_64", "any". */
  platforms: string[];
}

/** Printed by the base image's python: one JSON line after a marker. */
export const TARGET_MARKER = "shrinkbench-target-python:";

// Without pip (or packaging) it prints nothing, and parseTargetPython says so: it runs after the
// marker probe in one interpreter (src/packages/python-env.ts), which must not fail with it.
export const TARGET_SCRIPT = `
import json, sys
try:
    from pip._vendor.packaging import tags
except ImportError:
    try:
        from packaging import tags
    except ImportError:
        tags = None
def unique(xs):
    seen = []
    for x in xs:
        if x not in seen:
            seen.append(x)
    return seen
if tags is not None:
    ts = list(tags.sys_tags())
    print(${JSON.stringify(TARGET_MARKER)} + json.dumps({
        "version": "%d.%d" % sys.version_info[:2],
        "implementation": tags.interpreter_name(),
        "abis": unique(t.abi for t in ts),
        "platforms": unique(t.platform for t in ts),
    }))
`;

/** Reads the script's output; throws when it is not there (no python, no pip in the image). */
export function parseTargetPython(output: string): TargetPython {
  const line = output.split("\n").find((l) => l.startsWith(TARGET_MARKER));
  if (!line) throw new Error(`no answer from the image's python: ${output.trim().slice(-300)}`);
  const t = JSON.parse(line.slice(TARGET_MARKER.length)) as Partial<TargetPython>;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
  if (
    typeof t.version !== "string" ||
    typeof t.implementation !== "string" ||
    !strings(t.abis) ||
    !strings(t.platforms)
  ) {
    throw new Error(`unexpected answer from the image's python: ${line}`);
  }
  return t as TargetPython;
}

/** A key that is equal for images pip treats alike, so each target is downloaded for once. */
export function targetKey(t: TargetPython): string {
  return JSON.stringify([t.version, t.implementation, t.abis, t.platforms]);
}

/**
 * `pip download` options for the target. pip accepts --platform/--abi only with
 * --only-binary=:all:, so a requirement with no wheel for the target cannot be fetched this way
 * (the caller says so); "any" and "none" are implied by pip and left out.
 */
export function targetPipArgs(t: TargetPython): string[] {
  const args = [
    "--only-binary=:all:",
    "--python-version",
    t.version,
    "--implementation",
    t.implementation,
  ];
  for (const abi of t.abis.filter((a) => a !== "none")) args.push("--abi", abi);
  for (const p of t.platforms.filter((x) => x !== "any")) args.push("--platform", p);
  return args;
}

// Reading a requirements file from disk: decoding (UTF-8, or UTF-16 with a BOM), following -r and
// -c includes relative to the including file as pip does, refusing cycles, editable and local
// requirements without a project folder, and constraints pip would reject; one hash of it all.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { InputError, at } from "../errors.js";
import type { Requirement, RequirementsSet } from "../types.js";
import { quote } from "./line-error.js";
import { parseRequirementsText, type IncludeLine } from "./parse.js";
import {
  isArchiveName,
  isLocalReference,
  isUrl,
  requirementKind,
  type RequirementKind,
} from "./references.js";

/** Largest requirements file the default reader accepts. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

export interface LoadOptions {
  /** Reads a file as text; throws an error with a Node `code` (ENOENT, EISDIR, EACCES) on failure. */
  readFile?: (p: string) => string;
  /** Accept `-e` and local path requirements (they need the project folder in the context). */
  allowEditable?: boolean;
  /** True when the path is a regular file (package files named by path); default: fs.statSync. */
  isFile?: (p: string) => boolean;
  /** The folder plain relative paths are also looked for in, after the file's own; default: cwd. */
  cwd?: string;
}

/** Decodes a requirements file: UTF-8 (BOM optional), or UTF-16 with a BOM (PowerShell's `>`). */
export function decodeRequirementsBytes(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) {
    return new TextDecoder("utf-16le").decode(buf.subarray(2));
  }
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    return new TextDecoder("utf-16be").decode(buf.subarray(2));
  }
  // Not fatal: invalid bytes become U+FFFD, which the parser reports with a line number.
  return new TextDecoder("utf-8").decode(buf);
}

/** The default reader: a regular file of at most MAX_FILE_BYTES, decoded. */
export function readRequirementsFile(p: string): string {
  const st = fs.statSync(p);
  if (st.isDirectory()) throw Object.assign(new Error(`${p} is a directory`), { code: "EISDIR" });
  if (!st.isFile()) throw Object.assign(new Error(`${p} is not a file`), { code: "ENOTREG" });
  if (st.size > MAX_FILE_BYTES) {
    throw Object.assign(new Error(`${p} is ${st.size} bytes`), { code: "EFBIG" });
  }
  return decodeRequirementsBytes(fs.readFileSync(p));
}

function readFailure(err: unknown, p: string, where: string, what: string): InputError {
  if (err instanceof InputError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const shown = where === "" ? p : `${where}: ${what}`;
  const resolved = where === "" ? "" : ` (looked for ${p})`;
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return new InputError(
        `${shown}: no such file${resolved}`,
        where === ""
          ? "check the path; it is relative to the current directory"
          : "include paths are relative to the file that includes them",
      );
    case "EISDIR":
      return new InputError(
        `${shown}: is a directory, not a requirements file${resolved}`,
        "pass the requirements file inside it, e.g. DIR/requirements.txt",
      );
    case "ENOTREG":
      return new InputError(`${shown}: not a regular file${resolved}`, "pass a text file");
    case "EFBIG":
      return new InputError(
        `${shown}: larger than ${MAX_FILE_BYTES} bytes${resolved}; not a requirements file`,
        "pass the text file that lists one requirement per line",
      );
    case "EACCES":
    case "EPERM":
      return new InputError(
        `${shown}: cannot read it, permission denied${resolved}`,
        "make the file readable for this user",
      );
    default:
      return new InputError(
        `${shown}: cannot read it${resolved}: ${err instanceof Error ? err.message : String(err)}`,
      );
  }
}

function resolveInclude(inc: IncludeLine, parent: string): string {
  const p = inc.path;
  if (/^file:/i.test(p)) {
    try {
      return fileURLToPath(p);
    } catch {
      throw new InputError(
        `${at(inc.source.file, inc.source.line)}: ${quote(p)} is not a local file URL`,
        "write file:///absolute/path or a path relative to this file",
      );
    }
  }
  if (isUrl(p)) {
    throw new InputError(
      `${at(inc.source.file, inc.source.line)}: remote includes are not supported (${quote(p)})`,
      "download the file next to this one and include it by its relative path",
    );
  }
  return path.isAbsolute(p) ? p : path.join(path.dirname(parent), p);
}

function editableError(req: Requirement, kind: RequirementKind): InputError {
  const where = at(req.source.file, req.source.line);
  const remote = req.url !== undefined && !isLocalReference(req.url);
  if (kind === "editable" && remote) {
    return new InputError(
      `${where}: editable requirement ${quote(req.line)} is not supported in an image build`,
      "drop the -e to install it as a regular package",
    );
  }
  // `pip freeze` writes `name @ file:///...` for what was installed from a local build: a path
  // on the author's machine.
  if (kind === "local" && req.name !== "" && /^file:/i.test(req.url ?? "")) {
    const file = localPath(req.url!);
    if (file === undefined || !fs.existsSync(file))
      return missingFileError(req, [file ?? req.url!]);
  }
  return new InputError(
    `${where}: ${quote(req.line)} installs from the project folder, which the build context does not hold`,
    "these need the project folder: pass --app DIR (or install the package from an index instead)",
  );
}

function checkConstraint(req: Requirement, kind: RequirementKind): void {
  const where = at(req.source.file, req.source.line);
  if (kind === "editable") {
    throw new InputError(
      `${where}: editable requirements are not allowed as constraints`,
      "move the -e line to a requirements file (-r), or pin a version here",
    );
  }
  if (req.name === "") {
    throw new InputError(
      `${where}: unnamed requirements are not allowed as constraints (${quote(req.line)})`,
      "write name @ URL, or name==VERSION",
    );
  }
  if (req.extras.length > 0) {
    throw new InputError(
      `${where}: constraints cannot have extras (${quote(req.line)})`,
      `write the constraint without [${req.extras.join(",")}]`,
    );
  }
}

/**
 * Reads a requirements file and everything it includes (`-r` as requirements, `-c` as
 * constraints, paths relative to the including file, as pip does). `hash` is the sha256 of
 * the files' text, in the order read, each followed by a NUL.
 */
export function loadRequirements(file: string, options: LoadOptions = {}): RequirementsSet {
  const readFile = options.readFile ?? readRequirementsFile;
  const sha = createHash("sha256");
  const set: RequirementsSet = { file, requirements: [], options: [], constraints: [], hash: "" };
  const stack: { key: string; shown: string }[] = [];

  const visit = (p: string, constraint: boolean, from?: IncludeLine): void => {
    const key = path.resolve(p);
    const cycleAt = stack.findIndex((s) => s.key === key);
    if (cycleAt >= 0 && from) {
      const chain = [...stack.slice(cycleAt).map((s) => s.shown), p].join(" -> ");
      throw new InputError(
        `${at(from.source.file, from.source.line)}: include cycle: ${chain}`,
        `remove the ${constraint ? "-c" : "-r"} ${from.path} line, or the include that leads back to it`,
      );
    }
    let text: string;
    try {
      const got: unknown = readFile(p);
      if (typeof got !== "string") throw Object.assign(new Error("missing"), { code: "ENOENT" });
      text = got;
    } catch (err) {
      const where = from ? at(from.source.file, from.source.line) : "";
      const what = from ? `${from.constraint ? "-c" : "-r"} ${from.path}` : "";
      throw readFailure(err, p, where, what);
    }
    sha.update(text, "utf8");
    sha.update("\0");
    const parsed = parseRequirementsText(text, p);
    stack.push({ key, shown: p });
    for (const item of parsed.lines) {
      if (item.kind === "option") set.options.push(item.option);
      else if (item.kind === "include") {
        visit(resolveInclude(item.include, p), item.include.constraint, item.include);
      } else {
        const req = item.requirement;
        const kind = requirementKind(req);
        if (constraint) {
          checkConstraint(req, kind);
          if (kind === "local" && isArchiveName(req.url!))
            req.localFile = findPackageFile(req, options);
          set.constraints.push(req);
        } else if (kind === "local" && isArchiveName(req.url!)) {
          req.localFile = findPackageFile(req, options);
          set.requirements.push(req);
        } else {
          if ((kind === "editable" || kind === "local") && !options.allowEditable) {
            throw editableError(req, kind);
          }
          set.requirements.push(req);
        }
      }
    }
    stack.pop();
  };

  visit(file, false);
  if (set.requirements.length === 0) {
    throw new InputError(
      `${file}: no requirements found${set.constraints.length > 0 || set.options.length > 0 ? " (only options and constraints)" : ""}`,
      "list at least one package, one per line, e.g. numpy==1.26.4",
    );
  }
  set.hash = sha.digest("hex");
  return set;
}

function localPath(url: string): string | undefined {
  try {
    return fileURLToPath(url.replace(/#.*$/, ""));
  } catch {
    return undefined;
  }
}

/** The version in a wheel or sdist file name (`numpy-1.26.4-cp311-...whl` -> 1.26.4). */
function wheelVersion(url: string): string | undefined {
  const base =
    url
      .replace(/[#?].*$/, "")
      .split("/")
      .pop() ?? "";
  const wheel = /^[^-]+-([^-]+)-.*\.whl$/i.exec(base);
  if (wheel) return wheel[1];
  return /^.+?-(\d[^-]*?)\.(?:tar\.gz|zip|tgz)$/i.exec(base)?.[1];
}

function defaultIsFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Where a wheel or archive named by path may be: the paths looked at, in order. */
export function packageFileCandidates(req: Requirement, cwd: string): string[] {
  const ref = req.url!.replace(/#.*$/, "");
  if (/^file:/i.test(ref)) {
    const p = localPath(ref);
    if (p !== undefined) return [p];
  }
  const p = ref.replace(/^file:/i, "");
  if (path.isAbsolute(p)) return [path.normalize(p)];
  // Read from the requirements file's folder, so the file works from any directory; pip itself
  // reads from the current directory, which is tried second.
  return [...new Set([path.resolve(path.dirname(req.source.file), p), path.resolve(cwd, p)])];
}

/** The absolute path of a package file a requirement names; InputError when it is not there. */
function findPackageFile(req: Requirement, options: LoadOptions): string {
  const isFile = options.isFile ?? defaultIsFile;
  const candidates = packageFileCandidates(req, options.cwd ?? process.cwd());
  const found = candidates.find((c) => isFile(c));
  if (found === undefined) throw missingFileError(req, candidates);
  return found;
}

function missingFileError(req: Requirement, lookedAt: string[]): InputError {
  const where = at(req.source.file, req.source.line);
  const version = wheelVersion(req.url!);
  const pin = `${req.rawName || "NAME"}==${version ?? "VERSION"}`;
  const file = path.basename(req.url!.replace(/[#?].*$/, ""));
  const looked = `looked for ${lookedAt.join(", then ")}`;
  if (/^file:/i.test(req.url!) && req.name !== "") {
    return new InputError(
      `${where}: ${req.rawName} @ ${req.url!.replace(/#.*$/, "")} points to a file that does not exist here (${looked}; pip freeze records where a package was installed from on the machine that wrote this file)`,
      `copy ${file} next to the requirements file and write ./${file}, or pin it from an index instead: ${pin} (\`pip list --format=freeze\` writes pins, not paths)`,
    );
  }
  return new InputError(
    `${where}: ${quote(req.url!)}: no such file (${looked})`,
    `relative paths are read from the requirements file's folder: put ${file} there, or pin the package from an index instead: ${pin}`,
  );
}

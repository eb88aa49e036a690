// Your own Dockerfile as a rung (`--dockerfile`, or a ladder file's `dockerfile` field). Pure:
// what the Dockerfile builds on, what the run sends in its place, and which files a warm rebuild
// changes. The user's Dockerfile and folder are never written: every change here is to the text
// and the entries of the tar stream the engine receives.
//
// What the sent copy changes, and why (none of it changes what the Dockerfile installs):
// - a FROM naming the image a base role defaults to (python:3.11, python:3.11-slim, ...) is built
//   on the image the config maps that role to, so that your rung and the ladder's stand on the
//   same bases (a private mirror, or this project's stand-ins where no registry is reachable);
// - `ARG PIP_INDEX_URL` (and the other pip sources the run passes) after each FROM, so that your
//   `pip install` reaches the same packages as every other rung: the run's package server;
// - the run's labels and marks (run-marks.ts), so that `clean` finds what the build left.
import { defaultBases } from "../config.js";
import { formatBytes } from "../units.js";
import { afterEachFrom, markDockerfile } from "./run-marks.js";
import { BASE_ROLES, type BaseRole, type OwnDockerfile, type Rung } from "../types.js";

/** The id of the rung `--dockerfile` adds. */
export const YOURS = "yours";

/** The `yours` rung for `--dockerfile PATH [--build-context DIR]`. */
export function yoursRung(dockerfile: OwnDockerfile): Rung {
  return {
    id: YOURS,
    title: "your Dockerfile",
    description: `your own Dockerfile (${dockerfile.path}), built from ${dockerfile.context}`,
    base: "full",
    template: dockerfile.path,
    args: {},
    context: "requirements",
    post: [],
    dockerfile,
    ...(needsBuildKit(dockerfile.text) ? { needs: "buildkit" as const } : {}),
  };
}

/** A Dockerfile that mounts anything (`RUN --mount=...`) cannot be built by the classic builder. */
export function needsBuildKit(text: string): boolean {
  return instructions(text).some((i) => i.keyword === "RUN" && /(^|\s)--mount=/.test(i.args));
}

interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** 1-based line the instruction starts on. */
  line: number;
}

/** The instructions of a Dockerfile, continuation lines joined (comments and blanks skipped). */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: Instruction | undefined;
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed.startsWith("#") || (trimmed === "" && !current)) return;
    const continues = /\\\s*$/.test(line);
    const body = continues ? line.replace(/\\\s*$/, "") : line;
    if (current) current.args += " " + body.trim();
    else {
      const m = /^\s*(\S+)\s*(.*)$/.exec(body)!;
      current = { keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: i + 1 };
    }
    if (!continues) {
      out.push(current);
      current = undefined;
    }
  });
  if (current) out.push(current);
  return out;
}

interface Stage {
  from: string;
  name?: string;
}

/** The stages (FROM [--platform=..] IMAGE [AS name]) and the ARG defaults declared before the first. */
function stagesOf(text: string): { stages: Stage[]; globalArgs: Record<string, string> } {
  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  for (const ins of instructions(text)) {
    if (ins.keyword === "ARG" && stages.length === 0) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(ins.args);
      if (m) globalArgs[m[1]!] = unquote(m[2] ?? "");
    } else if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const as = words.findIndex((w) => w.toUpperCase() === "AS");
      stages.push({
        from: words[0] ?? "",
        ...(as > 0 && words[as + 1] ? { name: words[as + 1] } : {}),
      });
    }
  }
  return { stages, globalArgs };
}

function unquote(s: string): string {
  return s.replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
}

function substitute(ref: string, args: Record<string, string>): string {
  return ref.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_m, a, b) => args[(a ?? b) as string] ?? "",
  );
}

/**
 * The image the final stage builds on: FROM of the last stage, build args and global ARG
 * defaults substituted, earlier stages followed. `scratch` when it builds on nothing.
 */
export function finalBase(
  text: string,
  buildArgs: Record<string, string> = {},
): { image?: string; scratch: boolean } {
  const { stages, globalArgs } = stagesOf(text);
  const args = { ...globalArgs, ...buildArgs };
  let stage = stages.at(-1);
  for (let hops = 0; stage && hops <= stages.length; hops++) {
    const ref = substitute(stage.from, args);
    if (ref.toLowerCase() === "scratch") return { scratch: true };
    const earlier = stages.find((s) => s.name?.toLowerCase() === ref.toLowerCase());
    if (!earlier || earlier === stage)
      return ref ? { image: ref, scratch: false } : { scratch: false };
    stage = earlier;
  }
  return { scratch: false };
}

/**
 * The images a Dockerfile's stages build on: each FROM that names neither `scratch` nor an
 * earlier stage, build args and global ARG defaults substituted, in order, once each.
 */
export function fromImages(text: string, buildArgs: Record<string, string> = {}): string[] {
  const { stages, globalArgs } = stagesOf(text);
  const args = { ...globalArgs, ...buildArgs };
  const out: string[] = [];
  stages.forEach((stage, i) => {
    const ref = substitute(stage.from, args);
    const earlier = stages.slice(0, i).some((s) => s.name?.toLowerCase() === ref.toLowerCase());
    if (ref && ref.toLowerCase() !== "scratch" && !earlier && !out.includes(ref)) out.push(ref);
  });
  return out;
}

/** The names an image a base role defaults to is also known by (docker.io/library/python:3.11). */
function aliases(ref: string): string[] {
  return [ref, `library/${ref}`, `docker.io/library/${ref}`, `index.docker.io/library/${ref}`];
}

/**
 * FROM lines that name a base role's default image, rewritten to the image the config maps the
 * role to (only where the two differ). `mapped` says which, for the run's notes.
 */
export function mapBaseImages(
  text: string,
  bases: Record<BaseRole, string>,
  defaults: Record<BaseRole, string> = defaultBases(),
): { text: string; mapped: { from: string; to: string }[] } {
  const mapped: { from: string; to: string }[] = [];
  const lines = text.split("\n").map((line) => {
    const m = /^(\s*FROM\s+(?:--\S+\s+)*)(\S+)(.*)$/i.exec(line);
    if (!m) return line;
    const role = BASE_ROLES.find((r) => aliases(defaults[r]).includes(m[2]!));
    if (!role || bases[role] === defaults[role]) return line;
    if (!mapped.some((x) => x.from === m[2])) mapped.push({ from: m[2]!, to: bases[role] });
    return `${m[1]}${bases[role]}${m[3]}`;
  });
  return { text: lines.join("\n"), mapped };
}

/** The base role whose image `image` is, if any (the table's base column). */
export function roleOf(
  image: string | undefined,
  bases: Record<BaseRole, string>,
): BaseRole | undefined {
  return BASE_ROLES.find((r) => image !== undefined && bases[r] === image);
}

/** The Dockerfile text the run sends in place of the user's (see the head of this file). */
export function sentDockerfile(
  text: string,
  opts: {
    bases: Record<BaseRole, string>;
    labels: Record<string, string>;
    runId: string;
    buildkit: boolean;
    /** Build args to declare in every stage (pip's sources). */
    declare: readonly string[];
  },
): string {
  const mapped = mapBaseImages(text, opts.bases).text;
  // ARG lines go after the LABEL markDockerfile puts right after each FROM: under the classic
  // builder every step commits an image, and those must carry the run's label.
  const declared = afterEachFrom(
    mapped,
    opts.declare.map((n) => `ARG ${n}`),
  );
  return markDockerfile(declared, {
    labels: opts.labels,
    runId: opts.runId,
    buildkit: opts.buildkit,
  });
}

/** The sources of every COPY/ADD that takes them from the build context (not `--from=`). */
export function copiedSources(text: string): string[] {
  const out: string[] = [];
  for (const ins of instructions(text)) {
    if (ins.keyword !== "COPY" && ins.keyword !== "ADD") continue;
    let rest = ins.args;
    const flags = /^(?:--\S+\s+)*/.exec(rest)![0];
    if (/--from=/.test(flags)) continue;
    rest = rest.slice(flags.length).trim();
    if (rest.startsWith("<<")) continue;
    let words: string[];
    if (rest.startsWith("[")) {
      try {
        words = (JSON.parse(rest) as unknown[]).map(String);
      } catch {
        continue;
      }
    } else words = rest.split(/\s+/);
    out.push(...words.slice(0, -1).filter((w) => !/^https?:\/\//.test(w)));
  }
  return out;
}

function globToRegex(glob: string): RegExp {
  const body = glob
    .split("")
    .map((c) => (c === "*" ? "[^/]*" : c === "?" ? "[^/]" : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}(/.*)?$`);
}

/** Whether a context path is copied by one of `sources` (a folder copies what is under it). */
export function isCopied(name: string, sources: readonly string[]): boolean {
  return sources.some((source) => {
    const s = source.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    return s === "" || s === "." || globToRegex(s).test(name);
  });
}

const REQUIREMENTS_FILE = /(^|\/)requirements[^/]*\.txt$/;

/**
 * The requirements file a requirements-change rebuild appends to: the run's own requirements
 * file when it is in the context and copied, else the first requirements*.txt the Dockerfile
 * copies (the top-level one first). Undefined: that rebuild cannot be measured.
 */
export function pickRequirementsFile(
  files: readonly string[],
  dockerfile: string,
  runRequirements?: string,
): string | undefined {
  const sources = copiedSources(dockerfile);
  const copied = files.filter((f) => isCopied(f, sources));
  if (runRequirements && copied.includes(runRequirements)) return runRequirements;
  const candidates = copied.filter((f) => REQUIREMENTS_FILE.test(f));
  return candidates.find((f) => !f.includes("/")) ?? candidates[0];
}

/**
 * The application file an app-change rebuild appends a comment to: a file the Dockerfile
 * copies, a Python one first, never the Dockerfile, .dockerignore or a requirements file.
 */
export function pickAppFile(
  files: readonly string[],
  dockerfile: string,
  dockerfileName: string,
): string | undefined {
  const sources = copiedSources(dockerfile);
  const copied = files.filter(
    (f) =>
      isCopied(f, sources) &&
      f !== dockerfileName &&
      !/(^|\/)\.dockerignore$/.test(f) &&
      !REQUIREMENTS_FILE.test(f),
  );
  return copied.find((f) => f.endsWith(".py")) ?? copied[0];
}

/**
 * The warning for a build context over `limit` bytes (after .dockerignore): its size and its
 * biggest top-level folders, which are what to add to .dockerignore. Undefined under the limit.
 */
export function bigContextWarning(
  files: readonly { name: string; size: number }[],
  opts: { limit?: number; context?: string; top?: number } = {},
): string | undefined {
  const limit = opts.limit ?? 1e9;
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total <= limit) return undefined;
  const byFolder = new Map<string, number>();
  for (const f of files) {
    const slash = f.name.indexOf("/");
    const folder = slash < 0 ? "(files at the top)" : `${f.name.slice(0, slash)}/`;
    byFolder.set(folder, (byFolder.get(folder) ?? 0) + f.size);
  }
  const biggest = [...byFolder]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, opts.top ?? 3)
    .map(([folder, bytes]) => `${folder} ${formatBytes(bytes)}`);
  return (
    `the build context ${opts.context ?? ""}${opts.context ? " " : ""}is ${formatBytes(total)} after .dockerignore ` +
    `(over ${formatBytes(limit)}): every build sends all of it to the engine; the biggest folders: ${biggest.join(", ")}. ` +
    "Add what the image does not need to .dockerignore"
  );
}

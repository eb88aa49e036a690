// A small Dockerfile linter with a few of hadolint's rules (same ids where they match) and two
// of shrinkbench's own, run over every template in the unit tests. Pure: text in, findings out.
//
// The Dockerfile is read as the classic builder reads it (line continuations joined, comment
// lines dropped) and, with `buildArgs`, as a rung renders it: ARG defaults overridden by the
// rung's build args are substituted, and the simple shell the templates use to switch on them
// is evaluated: `if [ "$X" = V ]; then A; else B; fi` with literal sides, and `set -- ARGS`
// feeding a later "$@". Rules:
//   DL3006  FROM an image without a tag (scratch and earlier stages excepted)
//   DL3007  FROM an image tagged latest
//   DL3015  apt-get install without --no-install-recommends
//   DL3019  apk add without --no-cache
//   DL3020  ADD of a local file or folder: use COPY
//   DL3022  COPY --from a stage that is not defined before it
//   DL3024  two stages with the same name (FROM ... AS name)
//   DL3042  pip install / pip wheel without --no-cache-dir (unless pipCache is "allow": the
//           talk's rungs before "one layer" keep pip's cache on purpose; or, as in hadolint,
//           the RUN mounts a BuildKit cache at pip's cache folder, which no layer holds)
//   SB001   FROM uses a variable that no ARG before the first FROM declares
//   SB002   an ARG before the first FROM that no FROM uses (such an ARG is visible to FROM
//           lines only)
// As in hadolint, `# hadolint ignore=RULE[,RULE]` above an instruction silences those rules there.

export interface LintOptions {
  /** Build args as a rung passes them; without them, the ARG defaults. */
  buildArgs?: Record<string, string>;
  /** "allow" for rungs that keep pip's download cache on purpose. Default "forbid". */
  pipCache?: "forbid" | "allow";
}

export interface LintFinding {
  rule: string;
  /** 1-based line of the instruction's first line. */
  line: number;
  message: string;
}

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Splits a Dockerfile into instructions: continuations joined, comment and blank lines dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let current: { parts: string[]; line: number } | undefined;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("#")) return; // comments, also inside a continuation
    if (!current) {
      if (trimmed === "") return;
      current = { parts: [], line: i + 1 };
    }
    const continued = /\\\s*$/.test(raw);
    current.parts.push(continued ? raw.replace(/\\\s*$/, "") : raw);
    if (!continued) {
      const joined = current.parts.join(" ").trim();
      const m = /^(\S+)\s*([\s\S]*)$/.exec(joined)!;
      out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: current.line });
      current = undefined;
    }
  });
  if (current) {
    const joined = current.parts.join(" ").trim();
    const m = /^(\S+)\s*([\s\S]*)$/.exec(joined);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: current.line });
  }
  return out;
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

function varsIn(s: string): string[] {
  return [...s.matchAll(VAR)].map((m) => m[1] ?? m[2]!);
}

function expand(s: string, values: Map<string, string>): string {
  return s.replace(VAR, (whole, a: string | undefined, b: string | undefined) => {
    const name = a ?? b!;
    return values.has(name) ? values.get(name)! : whole;
  });
}

/** `ARG NAME` / `ARG NAME=value` / `ARG NAME="value"` → [name, default?]. */
function parseArg(args: string): [string, string | undefined] {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(args.trim());
  if (!m) return [args.trim(), undefined];
  let value = m[2];
  if (value !== undefined && /^(["']).*\1$/.test(value)) value = value.slice(1, -1);
  return [m[1]!, value];
}

/** A `[ ... ]` test with literal operands: `"A" = "B"`, `"A" != "B"`, `-n "A"`, `-z "A"`. */
function evaluateTest(expr: string): boolean | undefined {
  const word = `("[^"$]*"|'[^'$]*'|[^\\s"'$]*)`;
  const unquote = (w: string) => (/^(["']).*\1$/.test(w) ? w.slice(1, -1) : w);
  let m = new RegExp(`^${word}\\s+(!?=)\\s+${word}$`).exec(expr);
  if (m) return (unquote(m[1]!) === unquote(m[3]!)) === (m[2] === "=");
  m = new RegExp(`^-([nz])\\s+${word}$`).exec(expr);
  if (m) return (unquote(m[2]!) !== "") === (m[1] === "n");
  return undefined;
}

/** Evaluates `if [ TEST ]; then A; [else B;] fi` where TEST has literal operands (innermost first). */
function evaluateConditionals(cmd: string): string {
  const cond =
    /if\s+\[\s+((?:(?!\s\])[^\]])*?)\s+\];\s*then\s+((?:(?!\bif\b|\bfi\b|\belse\b)[\s\S])*?)(?:;\s*else\s+((?:(?!\bif\b|\bfi\b)[\s\S])*?))?;\s*fi/g;
  let prev: string;
  do {
    prev = cmd;
    cmd = cmd.replace(cond, (whole, test: string, then: string, other?: string) => {
      const value = evaluateTest(test.trim());
      if (value === undefined) return whole;
      return value ? then : (other ?? ":");
    });
  } while (cmd !== prev);
  return cmd;
}

/** The simple commands of a RUN line: split on && || ; | and the shell keywords. */
function commands(run: string): string[] {
  return run
    .split(/&&|\|\||;|\||\bthen\b|\belse\b|\bdo\b|\bfi\b|\bdone\b/)
    .map((c) => c.trim())
    .filter(Boolean);
}

/** Replaces "$@" in later commands by what the last `set -- ARGS` set. */
function substitutePositional(cmds: string[]): string[] {
  let positional = "";
  return cmds.map((c) => {
    const m = /^set\s+--\s*(.*)$/.exec(c);
    if (m) {
      positional = m[1]!;
      return c;
    }
    return c.replace(/"\$@"|\$@/g, positional);
  });
}

const PIP = /(?:^|\s|\/)(?:pip3?|python3?\s+-m\s+pip)\s+(?:[^\s]+\s+)*?(install|wheel)\b/;

/** A RUN instruction as a rung renders it: build args substituted, switches evaluated. */
export interface RenderedRun {
  /** 0-based index of the stage it belongs to. */
  stage: number;
  line: number;
  /** Its simple commands, in order. */
  commands: string[];
}

export function lintDockerfile(text: string, opts: LintOptions = {}): LintFinding[] {
  const ignored = ignorePragmas(text);
  return analyze(text, opts).findings.filter((f) => !ignored.get(f.line)?.has(f.rule));
}

/**
 * hadolint's inline pragma: `# hadolint ignore=DL3042,DL3006` on a comment line above an
 * instruction silences those rules for that instruction. Returns instruction line → rules.
 */
export function ignorePragmas(text: string): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  let pending: string[] = [];
  let inContinuation = false;
  text.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    const pragma = /^#\s*hadolint\s+ignore=([A-Za-z0-9_,\s]+)$/.exec(trimmed);
    if (pragma)
      pending.push(
        ...pragma[1]!
          .split(",")
          .map((r) => r.trim())
          .filter(Boolean),
      );
    if (trimmed === "" || trimmed.startsWith("#")) return;
    if (!inContinuation && pending.length > 0) {
      out.set(i + 1, new Set(pending));
      pending = [];
    }
    inContinuation = /\\\s*$/.test(raw);
  });
  return out;
}

/** The RUN instructions as a rung with these build args runs them. */
export function renderedRuns(text: string, buildArgs: Record<string, string> = {}): RenderedRun[] {
  return analyze(text, { buildArgs }).runs;
}

function analyze(
  text: string,
  opts: LintOptions,
): { findings: LintFinding[]; runs: RenderedRun[] } {
  const findings: LintFinding[] = [];
  const runs: RenderedRun[] = [];
  const add = (rule: string, line: number, message: string) =>
    findings.push({ rule, line, message });
  const instructions = parseDockerfile(text);
  const build = opts.buildArgs ?? {};

  // Global ARGs (before the first FROM) and whether any FROM uses them.
  const globals = new Map<string, string>();
  const globalLines = new Map<string, number>();
  const usedInFrom = new Set<string>();
  const stages: string[] = [];
  let seenFrom = false;
  let scope = new Map<string, string>();

  for (const ins of instructions) {
    if (ins.keyword === "ARG") {
      const [name, def] = parseArg(ins.args);
      const value = build[name] ?? def;
      if (!seenFrom) {
        globalLines.set(name, ins.line);
        if (value !== undefined) globals.set(name, value);
      } else {
        // Inside a stage, an ARG without default takes the global's value or the build arg.
        const v = value ?? globals.get(name);
        if (v !== undefined) scope.set(name, v);
      }
      continue;
    }
    if (ins.keyword === "FROM") {
      seenFrom = true;
      scope = new Map();
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--platform"));
      const image = words[0] ?? "";
      for (const v of varsIn(image)) {
        usedInFrom.add(v);
        if (!globalLines.has(v)) {
          add("SB001", ins.line, `FROM uses $${v}, but no ARG before the first FROM declares it`);
        }
      }
      const ref = expand(image, globals);
      const name = words.length >= 3 && words[1]!.toUpperCase() === "AS" ? words[2]! : undefined;
      if (name) {
        if (stages.some((s) => s.toLowerCase() === name.toLowerCase())) {
          add("DL3024", ins.line, `stage name "${name}" is already used by an earlier FROM`);
        }
      }
      const earlier = stages.some((s) => s.toLowerCase() === ref.toLowerCase());
      if (ref === "") {
        add("DL3006", ins.line, `FROM ${image}: the image is empty (pass the build arg)`);
      } else if (!varsIn(ref).length && ref !== "scratch" && !earlier) {
        const lastPart = ref.split("/").at(-1)!;
        if (!ref.includes("@") && !lastPart.includes(":")) {
          add("DL3006", ins.line, `FROM ${ref}: always tag the image explicitly`);
        } else if (/:latest$/.test(ref)) {
          add("DL3007", ins.line, `FROM ${ref}: the latest tag moves; pin a version`);
        }
      }
      stages.push(name ?? `#${stages.length}`);
      continue;
    }
    const values = new Map([...globals, ...scope]);
    if (ins.keyword === "COPY" || ins.keyword === "ADD") {
      const from = /--from=(\S+)/.exec(ins.args)?.[1];
      if (from !== undefined) {
        const current = stages.length - 1;
        const index = /^\d+$/.test(from) ? Number(from) : undefined;
        const known =
          index !== undefined
            ? index < current
            : stages.slice(0, current).some((s) => s.toLowerCase() === from.toLowerCase()) ||
              /[:/@]/.test(from);
        if (!known) add("DL3022", ins.line, `COPY --from=${from}: no stage of that name before it`);
      }
      if (ins.keyword === "ADD") {
        const srcs = ins.args
          .split(/\s+/)
          .filter((w) => !w.startsWith("--"))
          .slice(0, -1);
        if (srcs.some((s) => !/^https?:\/\//.test(s) && !/\.(tar|tgz|tar\.\w+)$/.test(s))) {
          add("DL3020", ins.line, "ADD of local files: use COPY");
        }
      }
      continue;
    }
    if (ins.keyword !== "RUN") continue;
    // BuildKit's RUN flags (--mount=..., --network=...) come before the command.
    const flags: string[] = [];
    const body = ins.args.replace(/^(?:\s*--[a-z]+=\S+)+\s*/, (m) => {
      flags.push(...m.trim().split(/\s+/));
      return "";
    });
    const pipCacheMounted = flags.some(
      (f) =>
        f.startsWith("--mount=") && /type=cache/.test(f) && /target=\/root\/\.cache\/pip\b/.test(f),
    );
    const run = evaluateConditionals(expand(body, values));
    const cmds = substitutePositional(commands(run));
    runs.push({ stage: stages.length - 1, line: ins.line, commands: cmds });
    for (const cmd of cmds) {
      if (/(?:^|\s)apk\s+(?:[^\s]+\s+)*?add\b/.test(cmd) && !/--no-cache\b/.test(cmd)) {
        add("DL3019", ins.line, `apk add without --no-cache: ${cmd}`);
      }
      if (
        /(?:^|\s)apt-get\s+(?:[^\s]+\s+)*?install\b/.test(cmd) &&
        !/--no-install-recommends\b/.test(cmd)
      ) {
        add("DL3015", ins.line, `apt-get install without --no-install-recommends: ${cmd}`);
      }
      if (
        opts.pipCache !== "allow" &&
        !pipCacheMounted &&
        PIP.test(cmd) &&
        !/--no-cache-dir\b/.test(cmd)
      ) {
        add("DL3042", ins.line, `pip ${PIP.exec(cmd)![1]} without --no-cache-dir: ${cmd}`);
      }
    }
  }
  for (const [name, line] of globalLines) {
    if (!usedInFrom.has(name)) {
      add(
        "SB002",
        line,
        `ARG ${name} before the first FROM is visible to FROM lines only, and none uses it`,
      );
    }
  }
  findings.sort((a, b) => a.line - b.line || a.rule.localeCompare(b.rule));
  return { findings, runs };
}

/** `Dockerfile:12 DL3019 apk add without --no-cache: ...` */
export function formatFindings(file: string, findings: readonly LintFinding[]): string {
  return findings.map((f) => `${file}:${f.line} ${f.rule} ${f.message}`).join("\n");
}

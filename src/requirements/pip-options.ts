// pip's options inside a requirements file: which ones exist (on a line of their own, or after a
// requirement), how a line's option part is split into tokens (POSIX shlex, as pip does) and read
// (optparse style), the --hash value check, and quoting a value back for a flattened file.

import { LineError, quote } from "./line-error.js";

export interface OptionSpec {
  /** Canonical long form, used in PipOptionLine.option. */
  name: string;
  takesValue: boolean;
  /** Allowed after a requirement on the same line. */
  perRequirement?: boolean;
  /** Allowed on a line of its own. */
  global?: boolean;
  removed?: string;
}

const OPTION_SPECS: OptionSpec[] = [
  { name: "--index-url", takesValue: true, global: true },
  { name: "--extra-index-url", takesValue: true, global: true },
  { name: "--no-index", takesValue: false, global: true },
  { name: "--find-links", takesValue: true, global: true },
  { name: "--trusted-host", takesValue: true, global: true },
  { name: "--pre", takesValue: false, global: true },
  { name: "--no-binary", takesValue: true, global: true },
  { name: "--only-binary", takesValue: true, global: true },
  { name: "--prefer-binary", takesValue: false, global: true },
  { name: "--require-hashes", takesValue: false, global: true },
  { name: "--use-feature", takesValue: true, global: true },
  { name: "--requirement", takesValue: true, global: true },
  { name: "--constraint", takesValue: true, global: true },
  { name: "--editable", takesValue: true, global: true },
  { name: "--hash", takesValue: true, perRequirement: true },
  { name: "--config-settings", takesValue: true, perRequirement: true },
  { name: "--global-option", takesValue: true, perRequirement: true },
  {
    name: "--install-option",
    takesValue: true,
    perRequirement: true,
    removed: "pip 23.1 removed --install-option; use --config-settings",
  },
];
const LONG_OPTIONS = new Map(OPTION_SPECS.map((s) => [s.name, s]));
const SHORT_OPTIONS = new Map<string, string>([
  ["-i", "--index-url"],
  ["-f", "--find-links"],
  ["-r", "--requirement"],
  ["-c", "--constraint"],
  ["-e", "--editable"],
  ["-C", "--config-settings"],
]);

/** Options that say where packages come from; the run replaces them with its own index. */
export const SOURCE_OPTIONS: ReadonlySet<string> = new Set([
  "--index-url",
  "--extra-index-url",
  "--no-index",
  "--find-links",
  "--trusted-host",
]);

const HASH_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** POSIX shlex.split, as pip uses for the options part of a line. */
export function shellSplit(s: string): string[] {
  const tokens: string[] = [];
  let cur = "";
  let inToken = false;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      if (inToken) tokens.push(cur);
      cur = "";
      inToken = false;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new LineError(`unterminated ' quote in ${quote(s.slice(i))}`);
      cur += s.slice(i + 1, end);
      inToken = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inToken = true;
      let closed = false;
      while (i < s.length) {
        const d = s[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === "\\" && i + 1 < s.length && '"\\$`'.includes(s[i + 1]!)) {
          cur += s[i + 1];
          i += 2;
        } else {
          cur += d;
          i++;
        }
      }
      if (!closed) throw new LineError(`unterminated " quote in ${quote(s)}`);
    } else if (c === "\\" && i + 1 < s.length) {
      cur += s[i + 1];
      inToken = true;
      i += 2;
    } else {
      cur += c;
      inToken = true;
      i++;
    }
  }
  if (inToken) tokens.push(cur);
  return tokens;
}

export interface ParsedOption {
  spec: OptionSpec;
  value?: string;
}

function suggestOption(word: string): string {
  const bare = word.replace(/=.*$/, "");
  const near = OPTION_SPECS.filter((s) => !s.removed).find(
    (s) => s.name.startsWith(bare) || bare.startsWith(s.name) || s.name.includes(bare.slice(2)),
  );
  return near
    ? `did you mean ${near.name}?`
    : `requirements files accept ${OPTION_SPECS.filter((s) => s.global)
        .map((s) => s.name)
        .join(", ")}`;
}

/** Parses a list of option tokens (optparse style: `--opt=v`, `--opt v`, `-o v`, `-ov`). */
export function parseOptionTokens(tokens: string[]): ParsedOption[] {
  const out: ParsedOption[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    let spec: OptionSpec | undefined;
    let value: string | undefined;
    let inline = false;
    if (tok.startsWith("--")) {
      const eq = tok.indexOf("=");
      const name = eq >= 0 ? tok.slice(0, eq) : tok;
      spec = LONG_OPTIONS.get(name);
      if (!spec) throw new LineError(`unknown option ${quote(name)}`, suggestOption(tok));
      if (eq >= 0) {
        value = tok.slice(eq + 1);
        inline = true;
      }
    } else if (tok.startsWith("-") && tok.length >= 2) {
      const long = SHORT_OPTIONS.get(tok.slice(0, 2));
      spec = long === undefined ? undefined : LONG_OPTIONS.get(long);
      if (!spec)
        throw new LineError(`unknown option ${quote(tok.slice(0, 2))}`, suggestOption(tok));
      if (tok.length > 2) {
        value = tok.slice(2);
        inline = true;
        if (value.startsWith("=")) {
          throw new LineError(
            `${quote(tok)}: a short option takes its value after a space`,
            `write ${tok.slice(0, 2)} ${value.slice(1)} or ${spec.name}=${value.slice(1)}`,
          );
        }
      }
    } else {
      const prev = out[out.length - 1];
      throw new LineError(
        `unexpected ${quote(tok)}${prev ? ` after ${prev.spec.name}` : ""}`,
        prev && !prev.spec.takesValue
          ? `${prev.spec.name} takes no value; put each requirement on its own line`
          : "put each requirement and each option on its own line",
      );
    }
    if (spec.removed) throw new LineError(`${spec.name} is not supported`, spec.removed);
    if (spec.takesValue && !inline) {
      const next = tokens[i + 1];
      if (next === undefined) {
        throw new LineError(`${spec.name} needs a value`, `write ${spec.name} VALUE`);
      }
      value = next;
      i++;
    }
    if (!spec.takesValue && inline) {
      throw new LineError(`${spec.name} takes no value`, `write ${spec.name} alone`);
    }
    if (spec.takesValue && value === "") {
      throw new LineError(`${spec.name} needs a value`, `write ${spec.name} VALUE`);
    }
    out.push(value === undefined ? { spec } : { spec, value });
  }
  return out;
}

export function checkHash(value: string): void {
  const m = /^([A-Za-z0-9]+):(.*)$/.exec(value);
  if (!m) {
    throw new LineError(
      `--hash ${quote(value)} is not ALGORITHM:HEX`,
      "write --hash=sha256:<64 hex digits>, as `pip hash FILE` prints it",
    );
  }
  const algo = m[1]!;
  const hex = m[2]!;
  const want = HASH_LENGTHS[algo];
  if (want === undefined) {
    throw new LineError(
      `--hash algorithm ${quote(algo)} is not accepted by pip`,
      "use sha256, sha384 or sha512 (`pip hash FILE` prints sha256)",
    );
  }
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length !== want) {
    throw new LineError(
      `--hash ${algo} value must be ${want} hex digits, got ${quote(hex)}`,
      "copy the hash again from `pip hash FILE` or the index",
    );
  }
}

/** Quotes a value for a requirements line, only when it needs it. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'"'"'`)}'`;
}

// .dockerignore matching, as the Docker CLI does it: patterns relative to the context root,
// `*` and `?` within one path segment, `**` across segments, `!` re-includes, last match wins,
// and a pattern that matches a directory excludes everything below it.
import { at, InputError } from "../errors.js";

export interface IgnoreRule {
  regex: RegExp;
  negate: boolean;
}

function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

function patternToRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        // `**/` matches zero or more directories; a trailing `**` matches everything. Like
        // moby's patternmatcher, a `**` inside a segment ("a**b") also spans whole directories.
        if (pattern[i + 1] === "/") i++;
        re += i + 1 < pattern.length ? "(?:.*/)?" : ".*";
      } else {
        re += "[^/]*";
      }
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "\\" && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end === -1) {
        throw new SyntaxError("unterminated [ (write \\[ for a literal one)");
      } else {
        // Go's filepath.Match: `^` negates a class; `!` is an ordinary member (not .gitignore's).
        const cls = pattern.slice(i + 1, end);
        re += `[${cls.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    }
  }
  return new RegExp(`^${re}$`);
}

/** Parses a .dockerignore; `file` names it in the error for a pattern Docker would refuse too. */
export function parseDockerignore(text: string, file = ".dockerignore"): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  text
    .replace(/^\uFEFF/, "")
    .split(/\r?\n/)
    .forEach((raw, i) => {
      // A comment is a # in column 1; "  #x" is a pattern, as in Docker.
      if (raw.startsWith("#")) return;
      let line = raw.trim();
      if (line === "") return;
      const negate = line.startsWith("!");
      if (negate) line = line.slice(1).trim();
      const pattern = cleanPath(line);
      if (pattern === "") return;
      let regex: RegExp;
      try {
        regex = patternToRegex(pattern);
      } catch (e) {
        // e.g. a character class whose range runs backwards: [z-a]
        throw new InputError(
          `${at(file, i + 1)}: ${JSON.stringify(line)} is not a valid pattern: ${(e as Error).message}`,
          "fix or remove the line; docker build refuses it too",
        );
      }
      rules.push({ regex, negate });
    });
  return rules;
}

/** True when `relPath` (slash-separated, relative to the context root) is excluded. */
export function isIgnored(rules: readonly IgnoreRule[], relPath: string): boolean {
  const path = cleanPath(relPath);
  // The path itself or any of its parent directories may match.
  const candidates: string[] = [];
  const parts = path.split("/");
  for (let i = 1; i <= parts.length; i++) candidates.push(parts.slice(0, i).join("/"));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.regex.test(c))) ignored = !rule.negate;
  }
  return ignored;
}

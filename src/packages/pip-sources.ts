// Where pip finds packages: pip's own configuration, the requirements files' option lines and
// shrinkbench's flags, merged into one PackageSources; and masking of credentials for output.
//
// Precedence, lowest first (a later layer overrides `indexUrl` and extends the lists):
//   1. pip's configuration, read from `pip config list`. That listing already merges pip's
//      files (global < user < site, later files win per key) and shows PIP_* variables as
//      `:env:` keys. Of its sections, `:env:` beats `install`, which beats `global`: the order
//      pip applies for `pip install` (download/wheel/... sections are ignored).
//   2. Option lines of the requirements files, with pip's semantics: `--index-url` replaces
//      every index named before it (config extras included), `--no-index` drops them all,
//      `--extra-index-url`, `--find-links` and `--trusted-host` add. A relative find-links path
//      is taken relative to the requirements file that names it. `${VAR}` is expanded from the
//      environment, as pip does in requirements files.
//   3. shrinkbench's flags: `--index-url` replaces the index, `--extra-index-url` and
//      `--find-links` (repeatable) add.
//
// An undefined indexUrl means pip's default, PyPI. pip's --no-index (a requirements-file line,
// `no-index` in pip's configuration, PIP_NO_INDEX) sets `noIndex`: as in pip, it wins over every
// index named anywhere, and only find-links are used.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import type { PipOptionLine, PackageSources } from "../types.js";

export type Env = Record<string, string | undefined>;

/** Runs a command and resolves with its standard output; rejects when it cannot run or fails. */
export type RunCommand = (command: string, args: string[]) => Promise<{ stdout: string }>;

export function emptySources(): PackageSources {
  return { extraIndexUrls: [], findLinks: [], trustedHosts: [] };
}

/** Splits a pip list value ("a b\nc") into its entries. */
function entries(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((s) => s !== "");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** Undoes Python's repr() of a str, as `pip config list` prints values. */
export function unquotePythonRepr(s: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s.length < 2 || s[s.length - 1] !== q) return s;
  const body = s.slice(1, -1);
  const simple: Record<string, string> = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    n: "\n",
    t: "\t",
    r: "\r",
    a: "\x07",
    b: "\b",
    f: "\f",
    v: "\v",
    "0": "\0",
  };
  return body.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g,
    (all, e: string) => {
      if (/^[xuU]/.test(e) && e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
      return simple[e] ?? all;
    },
  );
}

/** pip's strtobool: true for y, yes, t, true, on, 1; undefined when not a boolean. */
export function pipBoolean(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  if (v === undefined) return undefined;
  if (["y", "yes", "t", "true", "on", "1"].includes(v)) return true;
  if (["n", "no", "f", "false", "off", "0"].includes(v)) return false;
  return undefined;
}

/** Sections that apply to `pip install`, highest precedence first. */
const SECTION_ORDER = [":env:", "install", "global"];

/**
 * Parses the output of `pip config list` (`section.key='value'` per line) into the sources pip
 * would use for `pip install`. Other keys (cert, timeout, constraint, ...) are ignored.
 */
export function parsePipConfigList(output: string): PackageSources {
  const bySection = new Map<string, Map<string, string>>();
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    const eq = line.indexOf("=");
    if (line === "" || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const dot = key.indexOf(".", key.startsWith(":") ? key.indexOf(":", 1) : 0);
    if (dot < 0) continue;
    const section = key.slice(0, dot).toLowerCase();
    // pip normalises keys to dashes; config files may still say index_url.
    const name = key
      .slice(dot + 1)
      .toLowerCase()
      .replace(/_/g, "-")
      .replace(/^--/, "");
    const map = bySection.get(section) ?? new Map<string, string>();
    map.set(name, unquotePythonRepr(line.slice(eq + 1).trim()));
    bySection.set(section, map);
  }
  const pick = (name: string): string | undefined => {
    for (const section of SECTION_ORDER) {
      const v = bySection.get(section)?.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const sources = emptySources();
  const index = entries(pick("index-url"))[0];
  if (index !== undefined) sources.indexUrl = index;
  sources.extraIndexUrls = unique(entries(pick("extra-index-url")));
  sources.findLinks = unique(entries(pick("find-links")));
  sources.trustedHosts = unique(entries(pick("trusted-host")));
  if (pipBoolean(pick("no-index"))) sources.noIndex = true;
  const cert = pick("cert")?.trim();
  if (cert) sources.cert = cert;
  const proxy = pick("proxy")?.trim();
  if (proxy) sources.proxy = proxy;
  return sources;
}

/** The PIP_* variables pip reads for sources, for when pip itself cannot be asked. */
export function sourcesFromEnv(env: Env): PackageSources {
  const sources = emptySources();
  const index = entries(env.PIP_INDEX_URL)[0];
  if (index !== undefined) sources.indexUrl = index;
  sources.extraIndexUrls = unique(entries(env.PIP_EXTRA_INDEX_URL));
  sources.findLinks = unique(entries(env.PIP_FIND_LINKS));
  sources.trustedHosts = unique(entries(env.PIP_TRUSTED_HOST));
  if (pipBoolean(env.PIP_NO_INDEX)) sources.noIndex = true;
  if (env.PIP_CERT?.trim()) sources.cert = env.PIP_CERT.trim();
  if (env.PIP_PROXY?.trim()) sources.proxy = env.PIP_PROXY.trim();
  return sources;
}

const defaultRun: RunCommand = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: 30_000, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" },
      (err, stdout) => (err ? reject(err) : resolve({ stdout })),
    );
  });

/**
 * The package sources of this machine's pip: `python3 -m pip config list`, else
 * `pip config list`, else (no pip) the PIP_* environment variables, else nothing.
 */
export async function readHostPipSources(
  run: RunCommand = defaultRun,
  env: Env = process.env,
  exists: (file: string) => boolean = existsSync,
): Promise<PackageSources> {
  const attempts: [string, string[]][] = [
    ["python3", ["-m", "pip", "config", "list"]],
    ["pip", ["config", "list"]],
  ];
  let sources: PackageSources | undefined;
  for (const [command, args] of attempts) {
    try {
      const { stdout } = await run(command, args);
      sources = parsePipConfigList(stdout);
      break;
    } catch {
      // Not installed, or pip refused its own config: try the next way.
    }
  }
  sources ??= sourcesFromEnv(env);
  const netrc = hostNetrc(env, exists);
  if (netrc) sources.netrc = netrc;
  return sources;
}

/**
 * The .netrc pip's requests reads: NETRC when set (whether or not it exists: requests looks
 * nowhere else then), else ~/.netrc, else ~/_netrc, the first that exists.
 */
export function hostNetrc(env: Env, exists: (file: string) => boolean): string | undefined {
  if (env.NETRC !== undefined) return env.NETRC || undefined;
  const home = env.HOME || env.USERPROFILE;
  if (!home) return undefined;
  return [".netrc", "_netrc"].map((f) => path.join(home, f)).find(exists);
}

/** shrinkbench's own flags. */
export interface SourceFlags {
  indexUrl?: string | undefined;
  extraIndexUrls?: string[] | undefined;
  findLinks?: string[] | undefined;
  trustedHosts?: string[] | undefined;
}

export interface SourceLayers {
  /** pip's configuration (readHostPipSources); undefined to ignore it. */
  host?: PackageSources | undefined;
  /** Option lines of the requirements files, in file order (RequirementsSet.options). */
  file?: PipOptionLine[] | undefined;
  flags?: SourceFlags | undefined;
}

/** pip's `${VAR}` expansion in requirements files: only upper-case names, unset stays as is. */
export function expandEnv(value: string, env: Env): string {
  return value.replace(/\$\{([A-Z0-9_]+)\}/g, (all, name: string) => env[name] ?? all);
}

function isUrlOrAbsolute(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s) || path.isAbsolute(s);
}

/** Merges the layers (see the top of this file for the precedence). */
export function mergeSources(layers: SourceLayers, env: Env = process.env): PackageSources {
  const s = emptySources();
  const base = layers.host;
  if (base) {
    if (base.indexUrl !== undefined) s.indexUrl = base.indexUrl;
    s.extraIndexUrls.push(...base.extraIndexUrls);
    s.findLinks.push(...base.findLinks);
    s.trustedHosts.push(...base.trustedHosts);
    if (base.noIndex) s.noIndex = true;
    if (base.cert !== undefined) s.cert = base.cert;
    if (base.netrc !== undefined) s.netrc = base.netrc;
    if (base.proxy !== undefined) s.proxy = base.proxy;
  }
  for (const o of layers.file ?? []) {
    const value = o.value === undefined ? undefined : expandEnv(o.value, env);
    switch (o.option) {
      case "--no-index":
        delete s.indexUrl;
        s.extraIndexUrls = [];
        s.noIndex = true;
        break;
      case "--index-url":
        if (value !== undefined) s.indexUrl = value;
        s.extraIndexUrls = [];
        break;
      case "--extra-index-url":
        if (value !== undefined) s.extraIndexUrls.push(value);
        break;
      case "--find-links":
        if (value !== undefined) {
          s.findLinks.push(
            isUrlOrAbsolute(value) ? value : path.join(path.dirname(o.source.file), value),
          );
        }
        break;
      case "--trusted-host":
        if (value !== undefined) s.trustedHosts.push(value);
        break;
    }
  }
  const flags = layers.flags;
  if (flags) {
    if (flags.indexUrl !== undefined && flags.indexUrl !== "") s.indexUrl = flags.indexUrl;
    s.extraIndexUrls.push(...(flags.extraIndexUrls ?? []));
    s.findLinks.push(...(flags.findLinks ?? []));
    s.trustedHosts.push(...(flags.trustedHosts ?? []));
  }
  if (s.noIndex) {
    // pip ignores every index under --no-index, even one named after it.
    delete s.indexUrl;
    s.extraIndexUrls = [];
  }
  s.extraIndexUrls = unique(s.extraIndexUrls.filter((u) => u !== "" && u !== s.indexUrl));
  s.findLinks = unique(s.findLinks.filter((u) => u !== ""));
  s.trustedHosts = unique(s.trustedHosts.filter((u) => u !== ""));
  return s;
}

/**
 * Hides the secret in a URL's user part, as pip does: `https://user:token@host` →
 * `https://user:***@host`, and a lone user (a token) `https://token@host` → `https://***@host`.
 * Anything that is not `scheme://` with a user part comes back unchanged.
 */
export function maskUrl(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/s.exec(url);
  if (!m) return url;
  const [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  const at = authority.lastIndexOf("@");
  if (at < 0) return url;
  const userinfo = authority.slice(0, at);
  const host = authority.slice(at + 1);
  const colon = userinfo.indexOf(":");
  const masked = colon >= 0 ? `${userinfo.slice(0, colon)}:***` : "***";
  return `${scheme}${masked}@${host}${rest}`;
}

/** The sources with every URL masked (see maskUrl); for printing and for run records. */
export function maskSources(s: PackageSources): PackageSources {
  const out: PackageSources = {
    extraIndexUrls: s.extraIndexUrls.map(maskUrl),
    findLinks: s.findLinks.map(maskUrl),
    trustedHosts: [...s.trustedHosts],
  };
  if (s.indexUrl !== undefined) out.indexUrl = maskUrl(s.indexUrl);
  if (s.noIndex) out.noIndex = true;
  if (s.cert !== undefined) out.cert = s.cert;
  if (s.netrc !== undefined) out.netrc = s.netrc;
  if (s.proxy !== undefined) out.proxy = maskUrl(s.proxy);
  return out;
}

// Which mount serves each package source, decided before the server listens: local folders and
// files become directory mounts (`/i<N>/` for indexes, `/f<N>/` for find-links; sources under
// one root share a mount), remote URLs are registered with the proxy (`/r<N>/`). Once the
// server's address is known, `resolve` turns the plan into the mounts and the rewritten
// sources the builds use.

import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../errors.js";
import type { PackageSources } from "../types.js";
import { DirectoryMount, type MountInfo, type Scope } from "./directory-mount.js";
import { maskUrl } from "./pip-sources.js";

/** What the planner needs of the proxy: registering a remote source gives its local path. */
export interface RemoteSources {
  addSource(source: string, kind: "index" | "find-links", isDefault?: boolean): string;
}

type Classified = { kind: "local"; path: string } | { kind: "remote"; url: string };

/** A source string: a local path (plain or file://) or a URL the server does not serve. */
export function classify(source: string): Classified {
  if (/^file:/i.test(source)) {
    try {
      return { kind: "local", path: path.resolve(fileURLToPath(source)) };
    } catch {
      throw new InputError(
        `package source ${source}: not a local file URL`,
        "write file:///absolute/path (a file URL on another host cannot be served)",
      );
    }
  }
  if (/^https?:\/\//i.test(source)) {
    try {
      new URL(source);
    } catch {
      throw new InputError(`package source ${maskUrl(source)}: not a valid URL`);
    }
    return { kind: "remote", url: source };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source)) {
    throw new InputError(
      `package source ${maskUrl(source)}: pip reads only http(s) URLs and local paths`,
    );
  }
  return { kind: "local", path: path.resolve(source) };
}

/** A local source's share of a directory mount. */
interface Planned {
  kind: "index" | "find-links";
  origin: string;
  root: string;
  /** Path under the prefix the builds use: "simple/" or "" or a file name. */
  entry: string;
  allowed: string[];
  scope: Scope;
}

/**
 * A planned source keeps its place in the order given; its URL is filled in once the server
 * listens. `proxied` is the proxy's local path of a remote source ("/r0/simple/").
 */
type Slot = { proxied: string; origin: string } | { key: string; entry: string; origin: string };

/** A source that is left out with a warning, as pip skips it. */
class SkipSource extends Error {}

async function statOrUndefined(p: string) {
  try {
    return await fsp.stat(p);
  } catch {
    return undefined;
  }
}

async function planIndex(
  remote: RemoteSources,
  origin: string,
  required: boolean,
  isDefault: boolean,
): Promise<string | Planned> {
  const c = classify(origin);
  if (c.kind === "remote") return remote.addSource(c.url, "index", isDefault);
  const st = await statOrUndefined(c.path);
  if (!st?.isDirectory()) {
    const what = `package index ${origin}: ${st ? "not a directory" : "no such directory"}`;
    if (required) {
      throw new InputError(what, "pass the folder that holds the PEP 503 tree (…/simple)");
    }
    throw new SkipSource(what);
  }
  const root = path.dirname(c.path);
  const allowed = [await fsp.realpath(root), await fsp.realpath(c.path)];
  const base = path.basename(c.path);
  return {
    kind: "index",
    origin,
    root,
    entry: base === "" ? "" : `${base}/`,
    allowed,
    scope: { all: base === "", open: new Set([base]), linked: new Set() },
  };
}

async function planLinks(remote: RemoteSources, origin: string): Promise<string | Planned> {
  const c = classify(origin);
  if (c.kind === "remote") return remote.addSource(c.url, "find-links");
  const st = await statOrUndefined(c.path);
  if (st?.isDirectory()) {
    return {
      kind: "find-links",
      origin,
      root: c.path,
      entry: "",
      allowed: [await fsp.realpath(c.path)],
      scope: { all: true, open: new Set(), linked: new Set() },
    };
  }
  if (st?.isFile()) {
    const root = path.dirname(c.path);
    return {
      kind: "find-links",
      origin,
      root,
      entry: path.basename(c.path),
      allowed: [await fsp.realpath(root)],
      scope: { all: false, open: new Set(), linked: new Set([path.basename(c.path)]) },
    };
  }
  throw new SkipSource(`find-links ${origin}: no such file or directory`);
}

/** What the server serves once it listens at `base`. */
export interface ResolvedMounts {
  /** Directory mounts by prefix without slashes ("i0"). */
  mounts: Map<string, DirectoryMount>;
  infos: MountInfo[];
  /** The sources the builds use: every one on this server. */
  sources: PackageSources;
  /** Each source and the URL the builds use instead, in the order given. */
  rewrites: { from: string; to: string }[];
}

export class MountPlan {
  /** Sources that were left out (a find-links or extra index folder that does not exist). */
  readonly warnings: string[] = [];
  private readonly planned = new Map<string, Planned & { n: number }>();
  private indexCount = 0;
  private linksCount = 0;
  private indexSlot: Slot | undefined;
  private readonly extraSlots: Slot[] = [];
  private readonly linkSlots: Slot[] = [];
  private noIndex = false;

  private constructor(private readonly remote: RemoteSources) {}

  /**
   * Plans every source. `defaultIndex` is pip's own, planned when no index is named and
   * `noIndex` is not set (false leaves it out). Throws InputError when the index is a local
   * folder that does not exist.
   */
  static async of(
    sources: PackageSources,
    remote: RemoteSources,
    defaultIndex: string | false,
  ): Promise<MountPlan> {
    const plan = new MountPlan(remote);
    plan.noIndex = sources.noIndex === true;
    const indexSource =
      sources.indexUrl ?? (sources.noIndex || defaultIndex === false ? undefined : defaultIndex);
    if (indexSource !== undefined && !sources.noIndex) {
      const p = await planIndex(remote, indexSource, true, sources.indexUrl === undefined);
      plan.indexSlot = plan.slot(p, indexSource);
    }
    for (const u of sources.noIndex ? [] : sources.extraIndexUrls) {
      const s = await plan.tryPlan(u, () => planIndex(remote, u, false, false));
      if (s) plan.extraSlots.push(s);
    }
    for (const u of sources.findLinks) {
      const s = await plan.tryPlan(u, () => planLinks(remote, u));
      if (s) plan.linkSlots.push(s);
    }
    return plan;
  }

  private slot(p: string | Planned, origin: string): Slot {
    if (typeof p === "string") return { proxied: p, origin };
    const key = `${p.kind}:${p.root}`;
    const known = this.planned.get(key);
    if (known) {
      // Another source under the same root: widen what the one mount serves.
      known.allowed = unique([...known.allowed, ...p.allowed]);
      known.scope.all ||= p.scope.all;
      for (const x of p.scope.open) known.scope.open.add(x);
      for (const x of p.scope.linked) known.scope.linked.add(x);
    } else {
      const n = p.kind === "index" ? this.indexCount++ : this.linksCount++;
      this.planned.set(key, { ...p, n });
    }
    return { key, entry: p.entry, origin: p.origin };
  }

  private async tryPlan(
    origin: string,
    f: () => Promise<string | Planned>,
  ): Promise<Slot | undefined> {
    try {
      return this.slot(await f(), origin);
    } catch (err) {
      if (err instanceof SkipSource) {
        this.warnings.push(`${err.message}; left out`);
        return undefined;
      }
      throw err;
    }
  }

  /** The mounts and the rewritten sources, for a server listening at `base`. */
  resolve(base: string, proxyMounts: { prefix: string; origin: string }[]): ResolvedMounts {
    const mounts = new Map<string, DirectoryMount>();
    const infos: MountInfo[] = [];
    const prefixOfKey = new Map<string, string>();
    for (const [key, p] of this.planned) {
      const prefix = `${p.kind === "index" ? "i" : "f"}${p.n}`;
      prefixOfKey.set(key, prefix);
      const info: MountInfo = {
        prefix: `/${prefix}/`,
        kind: p.kind,
        origin: p.origin,
        root: p.root,
      };
      infos.push(info);
      mounts.set(
        prefix,
        new DirectoryMount(info, p.allowed, p.scope, {
          indexPages: p.kind === "index",
          listDirectories: p.kind === "index",
        }),
      );
    }
    const rewrites: { from: string; to: string }[] = [];
    const urlOf = (s: Slot): string => {
      if ("proxied" in s) {
        const to = `${base}${s.proxied}`;
        if (!rewrites.some((r) => r.to === to)) rewrites.push({ from: maskUrl(s.origin), to });
        return to;
      }
      const to = `${base}/${prefixOfKey.get(s.key)!}/${encodeEntry(s.entry)}`;
      if (!rewrites.some((r) => r.from === s.origin)) rewrites.push({ from: s.origin, to });
      return to;
    };

    const indexUrl = this.indexSlot && urlOf(this.indexSlot);
    // Every source is on this server now. It is trusted all the same: pip keeps an HTTP cache
    // (its own, or a BuildKit cache mount of it) only for https and trusted hosts, and plain
    // http to the loopback would otherwise download every file again in every build.
    const sources: PackageSources = {
      extraIndexUrls: unique(this.extraSlots.map(urlOf)).filter((u) => u !== indexUrl),
      findLinks: unique(this.linkSlots.map(urlOf)),
      trustedHosts: [new URL(base).host],
    };
    if (indexUrl !== undefined) sources.indexUrl = indexUrl;
    if (this.noIndex) sources.noIndex = true;
    for (const m of proxyMounts) {
      infos.push({ prefix: `/${m.prefix}/`, kind: "proxy", origin: m.origin, root: m.origin });
    }
    return { mounts, infos, sources, rewrites };
  }
}

function encodeEntry(entry: string): string {
  return entry
    .split("/")
    .map((s) => encodeURIComponent(s))
    .join("/");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

// Local file serving: one folder on disk (a PEP 503 tree, a find-links folder) served under a
// mount prefix of the package server. A folder with an index.html is answered by that page
// (index trees), any other by a generated page of links. Of an index's parent folder only the
// files that served pages link to are reachable, so a mirror kept in a home folder does not
// expose the rest of it; symlinks leading out of the allowed roots are refused.

import type { Stats } from "node:fs";
import * as fsp from "node:fs/promises";
import type * as http from "node:http";
import * as path from "node:path";
import { decodeEntities, HREF_VALUE } from "./html.js";
import { linksPage } from "./links-page.js";
import { forbidden, HTML, notFound, sendFile, sendPage, sendText } from "./responses.js";

export interface MountInfo {
  /** URL path prefix, e.g. "/i0/". */
  prefix: string;
  kind: "index" | "find-links" | "proxy";
  /** The source as given (a file:// URL or a path); for a proxy, the upstream origin. */
  origin: string;
  /** The directory served under the prefix; for a proxy, the upstream origin. */
  root: string;
}

/** One request, as a mount sees it. */
export interface MountRequest {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  /** The request path without the query, as sent. */
  urlPath: string;
  /** Decoded path segments after the mount prefix, empty ones removed. */
  segments: string[];
  trailingSlash: boolean;
}

/** What a DirectoryMount serves of its root. */
export interface Scope {
  /** Everything under the root (a find-links folder). */
  all: boolean;
  /** First path segments under which everything is served: the index folders ("simple"). */
  open: Set<string>;
  /**
   * Single files, as mount-relative paths: a find-links file, and every file a served index
   * page links to (`../../files/x.whl` and its PEP 658 `.metadata`). The rest of an index's
   * parent folder stays private.
   */
  linked: Set<string>;
}

/** True when p is root or below it. */
export function within(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Index pages larger than this are streamed without collecting their links. */
const MAX_PAGE_SCAN = 8 * 1024 * 1024;

class EscapeError extends Error {}

/**
 * A directory tree on disk. `indexPages`: a directory's index.html answers for it (PEP 503
 * trees); otherwise a generated page of links. `listDirectories`: generated pages link
 * subdirectories too (find-links pages list files only, as pip reads a folder).
 */
export class DirectoryMount {
  constructor(
    readonly info: MountInfo,
    /** Real paths a served file may live under (the root, and a symlinked index folder). */
    private readonly allowed: string[],
    private readonly scope: Scope,
    private readonly options: { indexPages: boolean; listDirectories: boolean },
  ) {}

  private allowedPath(real: string): boolean {
    return this.allowed.some((root) => within(root, real));
  }

  private inScope(segments: string[]): boolean {
    if (this.scope.all) return true;
    if (segments.length > 0 && this.scope.open.has(segments[0]!)) return true;
    return this.scope.linked.has(segments.join("/"));
  }

  /** realpath + stat, or undefined when missing; throws EscapeError when outside the roots. */
  private async resolve(p: string): Promise<{ real: string; stat: Stats } | undefined> {
    let real: string;
    try {
      real = await fsp.realpath(p);
    } catch {
      return undefined;
    }
    if (!this.allowedPath(real)) throw new EscapeError();
    return { real, stat: await fsp.stat(real) };
  }

  async handle(ctx: MountRequest): Promise<void> {
    const { req, res } = ctx;
    if (!this.inScope(ctx.segments)) return notFound(req, res);
    const target = path.join(this.info.root, ...ctx.segments);
    if (!within(this.info.root, target)) return forbidden(req, res);
    let found;
    try {
      found = await this.resolve(target);
    } catch (err) {
      if (err instanceof EscapeError) return forbidden(req, res);
      throw err;
    }
    if (!found) return notFound(req, res);
    if (found.stat.isFile()) {
      if (ctx.trailingSlash) return notFound(req, res);
      return sendFile(req, res, found.real);
    }
    if (!found.stat.isDirectory()) return notFound(req, res);
    if (!ctx.trailingSlash) {
      // Relative links on the page resolve against the directory only with the slash.
      return sendText(req, res, 301, "moved\n", { Location: `${ctx.urlPath}/` });
    }
    if (this.options.indexPages) {
      let index;
      try {
        index = await this.resolve(path.join(found.real, "index.html"));
      } catch (err) {
        if (!(err instanceof EscapeError)) throw err;
      }
      if (index?.stat.isFile()) {
        if (index.stat.size > MAX_PAGE_SCAN) return sendFile(req, res, index.real);
        const page = await fsp.readFile(index.real);
        this.collectLinks(ctx.segments, page.toString("utf8"));
        return sendPage(req, res, HTML, page);
      }
    }
    const names = await this.list(found.real);
    const title = `Links for ${ctx.segments[ctx.segments.length - 1] ?? this.info.prefix}`;
    return sendPage(req, res, HTML, Buffer.from(linksPage(title, names)));
  }

  /** Adds the files a page at `segments/` links to, inside this mount, to the scope. */
  private collectLinks(segments: string[], html: string): void {
    if (this.scope.all) return;
    const prefix = this.info.prefix; // "/i0/"
    const page = new URL(
      `http://server${prefix}${segments.map((s) => encodeURIComponent(s)).join("/")}/`,
    );
    for (const m of html.matchAll(HREF_VALUE)) {
      let url: URL;
      try {
        url = new URL(decodeEntities(m[1] ?? m[2] ?? m[3] ?? ""), page);
      } catch {
        continue;
      }
      if (url.origin !== page.origin || !url.pathname.startsWith(prefix)) continue;
      let rel: string;
      try {
        rel = url.pathname
          .slice(prefix.length)
          .split("/")
          .filter((x) => x !== "")
          .map((x) => decodeURIComponent(x))
          .join("/");
      } catch {
        continue;
      }
      if (rel === "" || this.inScope(rel.split("/"))) continue;
      this.scope.linked.add(rel);
      this.scope.linked.add(`${rel}.metadata`);
    }
  }

  /** Entries a generated page links: no dot files, nothing outside the roots, sorted. */
  private async list(dir: string): Promise<string[]> {
    const names: string[] = [];
    for (const name of (await fsp.readdir(dir)).sort()) {
      if (name.startsWith(".") || name === "index.html") continue;
      let entry;
      try {
        entry = await this.resolve(path.join(dir, name));
      } catch {
        continue;
      }
      if (!entry) continue;
      if (entry.stat.isFile()) names.push(name);
      else if (entry.stat.isDirectory() && this.options.listDirectories) names.push(`${name}/`);
    }
    return names;
  }
}

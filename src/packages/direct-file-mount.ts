// The package server's mount for package files named by direct references
// (requirements/direct-files.ts): each file is served as `/d<N>/<file name>`, a local one from
// disk, a remote one through the proxy. The URL a build reads carries neither the upstream's
// credentials nor its path or query (where some hosts put a token), only the file's name.

import type * as http from "node:http";
import type { DirectFile } from "../requirements/direct-files.js";
import type { PackageProxy } from "./proxy.js";
import { notFound, sendFile } from "./responses.js";

interface Served {
  file: DirectFile;
  /** For a remote file: its URL without credentials, as registered with the proxy. */
  upstream?: string;
}

export class DirectFileMount {
  private readonly byPrefix = new Map<string, Served>();
  private readonly paths = new Map<string, string>();

  constructor(
    files: readonly DirectFile[],
    private readonly proxy: PackageProxy,
  ) {
    files.forEach((file, n) => {
      const prefix = `d${n}`;
      const upstream =
        file.location.kind === "remote" ? proxy.addDirectFile(file.location.url) : undefined;
      this.byPrefix.set(prefix, upstream === undefined ? { file } : { file, upstream });
      this.paths.set(file.key, `/${prefix}/${encodeURIComponent(file.fileName)}`);
    });
  }

  has(prefix: string): boolean {
    return this.byPrefix.has(prefix);
  }

  /** The server path of a file, e.g. "/d0/x-1.0-py3-none-any.whl"; undefined when not served. */
  pathOf(file: DirectFile): string | undefined {
    return this.paths.get(file.key);
  }

  /** Only the one file name is served under each prefix. */
  async handle(
    prefix: string,
    segments: readonly string[],
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const served = this.byPrefix.get(prefix);
    if (!served || segments.length !== 1 || segments[0] !== served.file.fileName) {
      return notFound(req, res);
    }
    if (served.upstream !== undefined) {
      return this.proxy.serveDirectFile(served.upstream, req, res);
    }
    if (served.file.location.kind === "local") {
      return sendFile(req, res, served.file.location.path);
    }
  }
}

// How the builds reach their packages (`--sources`), decided per run from where the engines are:
//
// - `server`: the run's package server on this machine's 127.0.0.1 (index-server.ts). Builds
//   use host networking, so an engine on this machine (a unix socket, tcp://127.0.0.1) reaches
//   it; files are fetched lazily, only what pip asks for.
// - `wheelhouse`: every file the requirements need is fetched once on this machine, through the
//   same package server (credentials stay here), into a wheelhouse; the wheelhouse is sent to
//   each engine once and served there on the engine's own 127.0.0.1, and the builds install
//   with --no-index from it. An engine on another machine (ssh://, tcp://host, GitLab's dind)
//   cannot reach this machine's loopback, and must never see a credential.
//
// `auto` (the default) picks `server` when every engine is on this machine, else `wheelhouse`.

import { InputError } from "../errors.js";

export type SourcesMode = "server" | "wheelhouse";
export type SourcesRequest = SourcesMode | "auto";

export const SOURCES_MODES: readonly SourcesRequest[] = ["auto", "server", "wheelhouse"];

export function parseSourcesMode(value: string | undefined): SourcesRequest {
  if (value === undefined) return "auto";
  const v = value.trim().toLowerCase();
  if ((SOURCES_MODES as readonly string[]).includes(v)) return v as SourcesRequest;
  throw new InputError(
    `--sources ${value}: expected auto, server or wheelhouse`,
    "server: the package server on this machine; wheelhouse: files fetched here, served on the engine",
  );
}

export interface SourcesChoice {
  mode: SourcesMode;
  /** Why, for the record's notes. */
  reason: string;
}

/**
 * The mode of a run; `remote` are the engines whose host-network builds do not share this
 * machine's loopback (run/engines.ts isLocalEndpoint: ssh://, tcp:// to another address).
 */
export function chooseSourcesMode(
  request: SourcesRequest,
  remote: readonly string[],
): SourcesChoice {
  if (request === "server") {
    return {
      mode: "server",
      reason:
        remote.length > 0
          ? `--sources server: builds on ${remote.join(", ")} must reach this machine's 127.0.0.1 (a forwarded port)`
          : "--sources server",
    };
  }
  if (request === "wheelhouse") {
    return { mode: "wheelhouse", reason: "--sources wheelhouse" };
  }
  if (remote.length === 0) {
    return { mode: "server", reason: "every engine is on this machine" };
  }
  return {
    mode: "wheelhouse",
    reason: `${remote.join(", ")} ${remote.length > 1 ? "are" : "is"} on another machine`,
  };
}

// Opens `docker save` of one image (or of several in one archive) as a stream for the archive
// reader (src/image/archive/): straight off the engine's unix socket when it has one, else
// through dockerode.

import type Dockerode from "dockerode";
import { EngineError } from "../../errors.js";
import type { ArchiveInput } from "../../image/archive/types.js";
import { SocketArchive } from "./socket-archive.js";

/** Opens `docker save` of one image as a stream. */
export function openImageArchive(docker: Dockerode, ref: string): Promise<ArchiveInput> {
  // A reference is a few ASCII characters ([a-z0-9._/:@-]); anything else takes dockerode's way.
  return openSave(docker, {
    path: /^[\x21-\x7e]+$/.test(ref) ? `/images/${ref}/get` : undefined,
    viaDockerode: () => docker.getImage(ref).get(),
    what: `cannot export image ${ref}`,
    hint: "check the image exists (docker image ls)",
  });
}

/**
 * Opens `docker save A B ...` (GET /images/get?names=A&names=B): one archive in which the
 * engine writes each layer once, however many of the images hold it.
 */
export function openImagesArchive(
  docker: Dockerode,
  refs: readonly string[],
): Promise<ArchiveInput> {
  // dockerode has getImages (arrays become repeated query fields); its types do not.
  const api = docker as unknown as {
    getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream>;
  };
  return openSave(docker, {
    path: `/images/get?${refs.map((r) => `names=${encodeURIComponent(r)}`).join("&")}`,
    viaDockerode: () => api.getImages({ names: [...refs] }),
    what: `cannot export images ${refs.join(", ")}`,
    hint: "check the images exist (docker image ls)",
  });
}

/**
 * A save at an API path, read straight off the engine's unix socket when it has one (and a path
 * is given), else through dockerode; a failure is an EngineError saying what and the hint.
 */
async function openSave(
  docker: Dockerode,
  how: {
    path: string | undefined;
    viaDockerode: () => Promise<ArchiveInput>;
    what: string;
    hint: string;
  },
): Promise<ArchiveInput> {
  const modem = docker.modem as { socketPath?: unknown; version?: unknown };
  try {
    if (typeof modem.socketPath === "string" && how.path !== undefined) {
      const version = typeof modem.version === "string" && modem.version ? `/${modem.version}` : "";
      return await SocketArchive.open(modem.socketPath, `${version}${how.path}`);
    }
    return await how.viaDockerode();
  } catch (err) {
    throw new EngineError(`${how.what}: ${(err as Error).message}`, how.hint);
  }
}

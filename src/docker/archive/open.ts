// Opens `docker save` of one image (or of several in one archive) as a stream for the archive
// reader (src/image/archive/): straight off the engine's unix socket when it has one, else
// through dockerode.

import type Dockerode from "dockerode";
import { EngineError } from "../../errors.js";
import type { ArchiveInput } from "../../image/archive/types.js";
import { SocketArchive } from "./socket-archive.js";

/** Opens `docker save` of one image as a stream. */
export async function openImageArchive(docker: Dockerode, ref: string): Promise<ArchiveInput> {
  const hint = "check the image exists (docker image ls)";
  const modem = docker.modem as { socketPath?: unknown; version?: unknown };
  // A reference is a few ASCII characters ([a-z0-9._/:@-]); anything else takes dockerode's way.
  if (typeof modem.socketPath === "string" && /^[\x21-\x7e]+$/.test(ref)) {
    const version = typeof modem.version === "string" && modem.version ? `/${modem.version}` : "";
    try {
      return await SocketArchive.open(modem.socketPath, `${version}/images/${ref}/get`);
    } catch (err) {
      throw new EngineError(`cannot export image ${ref}: ${(err as Error).message}`, hint);
    }
  }
  try {
    return await docker.getImage(ref).get();
  } catch (err) {
    throw new EngineError(`cannot export image ${ref}: ${(err as Error).message}`, hint);
  }
}

/**
 * Opens `docker save A B ...` (GET /images/get?names=A&names=B): one archive in which the
 * engine writes each layer once, however many of the images hold it.
 */
export async function openImagesArchive(
  docker: Dockerode,
  refs: readonly string[],
): Promise<ArchiveInput> {
  const hint = "check the images exist (docker image ls)";
  const what = `cannot export images ${refs.join(", ")}`;
  const modem = docker.modem as { socketPath?: unknown; version?: unknown };
  if (typeof modem.socketPath === "string") {
    const version = typeof modem.version === "string" && modem.version ? `/${modem.version}` : "";
    const query = refs.map((r) => `names=${encodeURIComponent(r)}`).join("&");
    try {
      return await SocketArchive.open(modem.socketPath, `${version}/images/get?${query}`);
    } catch (err) {
      throw new EngineError(`${what}: ${(err as Error).message}`, hint);
    }
  }
  try {
    // dockerode has getImages (arrays become repeated query fields); its types do not.
    const api = docker as unknown as {
      getImages(opts: { names: string[] }): Promise<NodeJS.ReadableStream>;
    };
    return await api.getImages({ names: [...refs] });
  } catch (err) {
    throw new EngineError(`${what}: ${(err as Error).message}`, hint);
  }
}

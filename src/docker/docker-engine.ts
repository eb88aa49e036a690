// The only place that talks to Docker: the Engine interface, backed by dockerode.
import { Readable } from "node:stream";
import Docker from "dockerode";
import { pack as tarPack } from "tar-stream";
import { EngineError } from "../errors.js";
import type { EngineInfo } from "../types.js";
import { RUN_LABEL } from "../ladder/plan.js";
import { BUILDKIT_TRACE_ID, BuildKitProgress, decodeStatus } from "./buildkit-status.js";
import { serveContext } from "./context-url.js";
import type {
  Helper,
  HelperRequest,
  BuildOutcome,
  BuildRequest,
  ContainerOutcome,
  ContainerRun,
  Engine,
  ImageInfo,
  LeftoverScope,
  Leftovers,
  Removed,
} from "./engine.js";
import { isLocalEndpoint, type Endpoint } from "./endpoint.js";
import type { InspectReport } from "../image/types.js";
import { inspectImage, inspectImages } from "./inspect-image.js";
import {
  imageRecordIds,
  listLeftovers,
  noteImageRecords,
  noteServedContext,
  removeLeftovers,
} from "./leftovers.js";
import { squashImage } from "./squash.js";

interface BuildMessage {
  /** BuildKit: "moby.buildkit.trace" (aux is a base64 status) or "moby.image.id". */
  id?: string;
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string } | string;
}

/** Splits a JSON-lines stream into messages; a message may span chunks. */
export class JsonLines {
  private buffer = "";
  push(chunk: Buffer | string): BuildMessage[] {
    this.buffer += chunk.toString();
    const lines = this.buffer.split(/\r?\n/);
    this.buffer = lines.pop() ?? "";
    return lines.flatMap((l) => this.parse(l));
  }
  end(): BuildMessage[] {
    const rest = this.buffer;
    this.buffer = "";
    return this.parse(rest);
  }
  private parse(line: string): BuildMessage[] {
    if (!line.trim()) return [];
    try {
      return [JSON.parse(line) as BuildMessage];
    } catch {
      return [{ stream: line + "\n" }];
    }
  }
}

/** Undoes Docker's stdout/stderr multiplexing of a non-TTY container's logs. */
export function demuxLogs(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString("utf8");
}

function messageOf(e: unknown): string {
  const err = e as { json?: { message?: string }; message?: string };
  return err.json?.message ?? err.message ?? String(e);
}

export class DockerEngine implements Engine {
  readonly docker: Docker;
  readonly host: string;
  /**
   * BuildKit builds of a run get their context as a URL on this machine's 127.0.0.1, so that the
   * engine's record of it names the run (context-url.ts): on an engine of this machine, until
   * one build shows it cannot fetch from there.
   */
  private contextByUrl: boolean;
  /** Images BuildKit built here for a run: image id -> run id. */
  private readonly buildKitImages = new Map<string, string>();

  constructor(endpoint: Endpoint) {
    this.docker = new Docker(endpoint.modem);
    this.host = endpoint.host;
    this.contextByUrl = isLocalEndpoint(endpoint);
  }

  async info(): Promise<EngineInfo> {
    try {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("no answer within 10 s")), 10_000).unref(),
      );
      const v = await Promise.race([this.docker.version(), timeout]);
      return {
        host: this.host,
        version: v.Version,
        apiVersion: v.ApiVersion,
        os: v.Os,
        arch: v.Arch,
      };
    } catch (e) {
      throw new EngineError(
        `cannot reach the Docker engine at ${this.host}: ${messageOf(e)}`,
        "start it (on this project's machines: scripts/setup.sh starts one), or point --docker-host / DOCKER_HOST at a running engine",
      );
    }
  }

  async inspectImage(ref: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return {
        id: info.Id,
        size: info.Size,
        layers: info.RootFS?.Layers?.length ?? 0,
        repoDigests: info.RepoDigests ?? [],
      };
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw new EngineError(`inspecting ${ref} failed: ${messageOf(e)}`);
    }
  }

  analyze(ref: string, opts: { gzip: boolean; keepFiles?: boolean }): Promise<InspectReport> {
    return inspectImage(this.docker, ref, opts);
  }

  analyzeImages(refs: readonly string[], opts: { gzip: boolean }): Promise<InspectReport[]> {
    return inspectImages(this.docker, refs, opts);
  }

  async pull(ref: string, timeoutMs: number): Promise<{ ok: boolean; error?: string }> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const stream = await this.docker.pull(ref, { abortSignal: abort.signal });
      let error: string | undefined;
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err) => (err ? reject(err) : resolve()),
          (m: BuildMessage) => {
            if (m.error) error = m.error;
          },
        );
      });
      return error ? { ok: false, error } : { ok: true };
    } catch (e) {
      return {
        ok: false,
        error: abort.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : messageOf(e),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  async build(request: BuildRequest): Promise<BuildOutcome> {
    const outcome = await this.buildContext(request);
    const runId = request.labels[RUN_LABEL];
    if (outcome.imageId && runId && request.builder === "buildkit")
      this.buildKitImages.set(outcome.imageId, runId);
    return outcome;
  }

  /** A build, its context given as a URL where the engine can fetch one (context-url.ts). */
  private async buildContext(request: BuildRequest): Promise<BuildOutcome> {
    const runId = request.labels[RUN_LABEL];
    if (
      request.builder !== "buildkit" ||
      !this.contextByUrl ||
      !runId ||
      !/^[A-Za-z0-9._-]+$/.test(runId)
    )
      return this.buildWith(request, { body: request.context });
    const context = await serveContext(request.context, runId);
    if ("upload" in context) return this.buildWith(request, { body: context.upload });
    const { served } = context;
    const from = Date.now();
    try {
      const outcome = await this.buildWith(request, { remote: served.url });
      if (served.requests > 0)
        noteServedContext(runId, { from, until: Date.now(), fileBytes: served.fileBytes });
      // On this machine, yet not sharing its loopback (a rootless engine in a namespace of its
      // own, say): the engine never fetched the context. Upload it, from now on.
      const port = new URL(served.url).port;
      if (outcome.error && served.requests === 0 && outcome.error.includes(`127.0.0.1:${port}`)) {
        this.contextByUrl = false;
        request.onLine?.(`the engine cannot fetch the context from 127.0.0.1: uploading it`);
        const again = await this.buildWith(request, { body: Readable.from([served.body]) });
        return { ...again, log: [...outcome.log, ...again.log] };
      }
      return outcome;
    } finally {
      await served.close();
    }
  }

  /** One build: the context uploaded (body) or fetched by the engine from a URL (remote). */
  private async buildWith(
    request: BuildRequest,
    context: { body: Readable } | { remote: string },
  ): Promise<BuildOutcome> {
    const builder = request.builder ?? "classic";
    const log: string[] = [];
    const emit = (text: string) => {
      for (const line of text.replace(/\n$/, "").split("\n")) {
        log.push(line);
        request.onLine?.(line);
      }
    };
    const buildkit = new BuildKitProgress();
    let lastStep = "";
    let imageId: string | undefined;
    let error: string | undefined;
    try {
      const stream = await this.docker.buildImage(
        // An empty body when the engine fetches the context: without one, docker-modem would send
        // the options as a JSON body.
        ("body" in context ? context.body : Buffer.alloc(0)) as unknown as NodeJS.ReadableStream,
        {
          ...("remote" in context ? { remote: context.remote } : {}),
          t: request.tag,
          buildargs: request.buildArgs,
          labels: request.labels,
          // Host network: the default bridge is off on these engines, and pip must reach 127.0.0.1.
          networkmode: "host",
          // Cold builds measure the install itself; a warm rebuild asks for the cache.
          nocache: !request.cache,
          pull: false,
          rm: true,
          forcerm: true,
          ...(request.target ? { target: request.target } : {}),
          ...(request.dockerfile ? { dockerfile: request.dockerfile } : {}),
          // "2" is BuildKit: dockerode 5 opens the gRPC session it needs itself.
          version: builder === "buildkit" ? "2" : "1",
          abortSignal: request.signal,
        } as Docker.ImageBuildOptions,
      );
      const lines = new JsonLines();
      const handle = (m: BuildMessage) => {
        if (m.id === BUILDKIT_TRACE_ID && typeof m.aux === "string") {
          buildkit.push(decodeStatus(m.aux)).forEach((l) => emit(l));
          const steps = buildkit.steps();
          const key = steps ? `${steps.step}/${steps.steps}` : "";
          if (steps && key !== lastStep) {
            lastStep = key;
            request.onStep?.(steps.step, steps.steps);
          }
          return;
        }
        if (m.stream) emit(m.stream);
        if (m.status) emit(m.status);
        if (typeof m.aux === "object" && m.aux?.ID) imageId = m.aux.ID;
        // An error after output began arrives in the stream of an HTTP 200 response.
        if (m.error || m.errorDetail) {
          error = m.errorDetail?.message ?? m.error;
          emit(`ERROR: ${error}`);
        }
      };
      // Closing the response is what stops the daemon's build; done here too, because the
      // request's own abort does not reach every stream (a BuildKit build ran on past it).
      const stop = () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      request.signal?.addEventListener("abort", stop, { once: true });
      await new Promise<void>((resolve, reject) => {
        stream.on("data", (chunk: Buffer) => lines.push(chunk).forEach(handle));
        stream.on("end", () => {
          lines.end().forEach(handle);
          resolve();
        });
        stream.on("error", reject);
        stream.on("close", () => resolve());
      });
    } catch (e) {
      error = request.signal?.aborted ? "build cancelled" : messageOf(e);
      emit(`ERROR: ${error}`);
    }
    // A build cancelled after it finished its work is still cancelled: never a success.
    if (request.signal?.aborted) error ??= "build cancelled";
    // A failed BuildKit step whose error line never came (a cut stream) still fails the build.
    error ??= buildkit.errors()[0];
    if (error) return { error, log };
    if (!imageId)
      return { error: "the engine finished the build without reporting an image id", log };
    const confirmed = await this.inspectImage(imageId);
    if (!confirmed)
      return { error: `the engine reported image ${imageId} but it does not exist`, log };
    return { imageId: confirmed.id, log };
  }

  async runContainer(run: ContainerRun): Promise<ContainerOutcome> {
    const started = performance.now();
    const container = await this.docker.createContainer({
      Image: run.image,
      Cmd: run.cmd,
      Entrypoint: [],
      Labels: run.labels,
      Tty: false,
      // The smoke test needs no network at all; the pre-build resolve reaches 127.0.0.1.
      HostConfig: { NetworkMode: run.network ?? "none" },
    });
    try {
      if (Object.keys(run.files).length) {
        const pack = tarPack();
        for (const [path, content] of Object.entries(run.files)) {
          pack.entry({ name: path.replace(/^\/+/, ""), mode: 0o644, mtime: new Date(0) }, content);
        }
        pack.finalize();
        const chunks: Buffer[] = [];
        for await (const c of pack) chunks.push(c as Buffer);
        await container.putArchive(Buffer.concat(chunks), { path: "/" });
      }
      await container.start();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        container.kill().catch(() => undefined);
      }, run.timeoutMs);
      const status = (await container.wait()) as { StatusCode: number };
      clearTimeout(timer);
      const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
      return {
        exitCode: status.StatusCode,
        output: demuxLogs(logs),
        timedOut,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      // v: the anonymous volumes an image's VOLUME made go too (named ones stay).
      await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }

  async startHelper(request: HelperRequest): Promise<Helper> {
    const container = await this.docker.createContainer({
      Image: request.image,
      Cmd: request.cmd,
      Entrypoint: [],
      Labels: request.labels,
      Tty: false,
      HostConfig: { NetworkMode: "host" },
    });
    const stop = () => container.remove({ force: true, v: true }).then(() => undefined);
    try {
      await container.putArchive(request.archive, { path: "/" });
      await container.start();
      const deadline = Date.now() + request.timeoutMs;
      for (;;) {
        const logs = (await container.logs({ stdout: true, stderr: true })) as Buffer;
        const output = demuxLogs(logs);
        const ready = request.ready.exec(output);
        if (ready) return { ready, stop };
        const state = (await container.inspect()).State;
        if (!state.Running || Date.now() > deadline) {
          throw new EngineError(
            `helper container on ${this.host} ${state.Running ? "did not get ready in time" : `exited (${state.ExitCode})`}: ${output.trim().slice(-500)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (e) {
      await stop().catch(() => undefined);
      throw e;
    }
  }

  async squash(
    image: string,
    base: string,
    tag: string,
    labels: Record<string, string>,
  ): Promise<string> {
    const { id } = await squashImage(this.docker, image, base, { tag, labels });
    return id;
  }

  async removeIntermediates(ids: readonly string[]): Promise<number> {
    let removed = 0;
    for (const id of new Set(ids)) {
      try {
        const info = await this.docker.getImage(id).inspect();
        if (info.RepoTags?.length) continue;
        await this.docker.getImage(info.Id).remove({ force: false });
        removed++;
      } catch {
        // Gone already, or still the parent of a kept image: both are fine.
      }
    }
    return removed;
  }

  async removeImage(ref: string): Promise<void> {
    const runId = this.buildKitImages.get(ref);
    if (runId) {
      // Seen now or never: once the image is gone, nothing tells its records from anyone's.
      noteImageRecords(runId, await imageRecordIds(this.docker, ref).catch(() => []));
      this.buildKitImages.delete(ref);
    }
    try {
      await this.docker.getImage(ref).remove({ force: true });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    }
  }

  async removeByLabel(
    label: string,
    what = { images: true },
  ): Promise<{ images: string[]; containers: string[] }> {
    const containers = await this.docker.listContainers({ all: true, filters: { label: [label] } });
    for (const c of containers)
      await this.docker.getContainer(c.Id).remove({ force: true, v: true });
    if (!what.images) return { images: [], containers: containers.map((c) => c.Id) };
    const images = await this.docker.listImages({ all: false, filters: { label: [label] } });
    const removed: string[] = [];
    for (const img of images) {
      try {
        await this.docker.getImage(img.Id).remove({ force: true });
        removed.push(img.Id);
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode !== 404) throw e;
      }
    }
    return { images: removed, containers: containers.map((c) => c.Id) };
  }

  leftovers(scope: LeftoverScope): Promise<Leftovers> {
    return listLeftovers(this.docker, scope);
  }

  removeLeftovers(
    scope: LeftoverScope,
    what: { images: boolean; cache: boolean },
  ): Promise<Removed> {
    return removeLeftovers(this.docker, scope, what);
  }
}

// Ctrl-C and SIGTERM during a run: the first stops it cleanly, a second exits at once.
import { EXIT } from "../errors.js";

/** First Ctrl-C (or SIGTERM) stops the run cleanly; a second Ctrl-C exits at once. */
export function interruptions(err: (s: string) => void): {
  signal: AbortSignal;
  code: () => number | undefined;
} {
  const controller = new AbortController();
  let code: number | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      err("\nshrinkbench: interrupted again, exiting now\n");
      process.exit(code ?? EXIT.sigint);
    }
    code = name === "SIGTERM" ? EXIT.sigterm : EXIT.sigint;
    err(
      `\nshrinkbench: ${name}: stopping the build in progress and writing what was measured (Ctrl-C again to quit at once)\n`,
    );
    controller.abort();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return { signal: controller.signal, code: () => code };
}

// npm run bench:inspect — how long `shrinkbench inspect` takes next to reading the image once
// (`docker save IMAGE > /dev/null`), measured side by side in one run, alternating order.
// The image is the modern ladder's `full` rung for the talk's requirements (well over 1 GB).
// Writes results/bench-inspect.json and .md.
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";

const ROUNDS = Number(process.env.ROUNDS ?? 2);
const cli = ["dist/bin.js"];

function sh(cmd, args) {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
}

/** Wall time and peak RSS of a child process (via /proc, sampled every 50 ms). */
function timed(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ["ignore", opts.stdout ?? "ignore", "inherit"] });
    let peak = 0;
    const sample = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb * 1024);
      } catch {
        /* exited */
      }
    }, 50);
    child.on("exit", (code) => {
      clearInterval(sample);
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")} exited ${code}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peakRssBytes: peak });
    });
  });
}

const runName = "bench-inspect-full";
console.error("building the full rung of examples/talk/requirements.txt ...");
sh("node", [
  ...cli,
  "run",
  "examples/talk/requirements.txt",
  "-r",
  "full",
  "--keep-images",
  "--no-inspect",
  "--out",
  "results/bench",
  "--name",
  runName,
  "--quiet",
  "--format",
  "json",
]);
const record = JSON.parse(readFileSync(`results/bench/${runName}.json`, "utf8"));
const image = record.rungs[0].image;
if (!image) throw new Error(`the full rung did not build: ${record.rungs[0].reason}`);

const rows = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order =
      round % 2 === 0
        ? ["save", "inspect", "inspect-no-gzip"]
        : ["inspect-no-gzip", "inspect", "save"];
    for (const what of order) {
      const r =
        what === "save"
          ? await timed("docker", ["save", image.id])
          : await timed("node", [
              ...cli,
              "inspect",
              image.id,
              "--format",
              "json",
              ...(what === "inspect-no-gzip" ? ["--no-gzip"] : []),
            ]);
      rows.push({ round, what, ...r });
      console.error(
        `${what}: ${r.seconds.toFixed(1)} s, peak RSS ${(r.peakRssBytes / 1e6).toFixed(0)} MB`,
      );
    }
  }
} finally {
  sh("node", [...cli, "clean", "--run", record.runId]);
}

const mean = (what) => {
  const xs = rows.filter((r) => r.what === what);
  return {
    seconds: xs.reduce((a, r) => a + r.seconds, 0) / xs.length,
    peakRssBytes: Math.max(...xs.map((r) => r.peakRssBytes)),
  };
};
const save = mean("save");
const inspect = mean("inspect");
const noGzip = mean("inspect-no-gzip");
const result = {
  image: { id: image.id, sizeBytes: image.sizeBytes },
  rounds: ROUNDS,
  rows,
  saveSeconds: save.seconds,
  inspectSeconds: inspect.seconds,
  inspectNoGzipSeconds: noGzip.seconds,
  ratio: inspect.seconds / save.seconds,
  ratioNoGzip: noGzip.seconds / save.seconds,
  inspectPeakRssBytes: Math.max(inspect.peakRssBytes, noGzip.peakRssBytes),
  target: "inspect at most 1.5x the time of reading the image once",
};
writeFileSync("results/bench-inspect.json", JSON.stringify(result, null, 2) + "\n");
writeFileSync(
  "results/bench-inspect.md",
  `# bench:inspect\n\nImage: the modern ladder's full rung of examples/talk/requirements.txt, ${(image.sizeBytes / 1e9).toFixed(2)} GB. ${ROUNDS} rounds, alternating order.\n\n` +
    `| what | mean time | ratio to docker save | peak RSS |\n| --- | ---: | ---: | ---: |\n` +
    `| docker save > /dev/null | ${save.seconds.toFixed(1)} s | 1.00 | - |\n` +
    `| shrinkbench inspect (with gzip sizes) | ${inspect.seconds.toFixed(1)} s | ${result.ratio.toFixed(2)} | ${(inspect.peakRssBytes / 1e6).toFixed(0)} MB |\n` +
    `| shrinkbench inspect --no-gzip | ${noGzip.seconds.toFixed(1)} s | ${result.ratioNoGzip.toFixed(2)} | ${(noGzip.peakRssBytes / 1e6).toFixed(0)} MB |\n`,
);
console.log(readFileSync("results/bench-inspect.md", "utf8"));

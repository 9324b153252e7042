// Benchmark: one admission's work (parse the review, inject with the webhook's
// kept objects, encode the patch) in two builds, taken in turn within one
// process: `npm run bench -- admission-pair --against DIR`, where DIR is the
// dist/ directory of another build (e.g. a worktree of an earlier commit, built
// with `npx tsc -p tsconfig.build.json`). On a shared VM the speed of the same
// work moves by a third and more from one minute to the next, so two builds
// run one after the other compare the machine as much as the builds; pairing
// each admission of one build with the same admission of the other, next to it
// in time and in alternating order, leaves the machine's drift out. Without
// --against, the shipped build is paired with itself: the difference the
// method shows between identical builds. Both builds answer each pod at the
// same clock; the answers they differ on are counted (none, for a change that
// keeps the answer's bytes).
import { admissionWork } from "./support/admission-work.js";
import { review } from "./support/mutate-pod-client.js";
import { DIST, ensureShippedBuild } from "./support/shipped-build.js";
import { printTable } from "./support/table.js";

const PODS = 4_000;
const ROUNDS = 5;

type Admit = (text: string, now: Date) => string | undefined;

/** The admission work of the build in `dist`, with its own kept objects. */
async function admissionOf(dist: string): Promise<Admit> {
  const work = await admissionWork(dist);
  return (text, now) => work.encode(work.inject(work.parse(text), now));
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

ensureShippedBuild();
const against = argument("--against");
const names = ["shipped build (dist/)", against ? `--against ${against}` : "the shipped build again"];
const builds = [await admissionOf(DIST), await admissionOf(against ?? DIST)] as const;
// Pods that all differ (a label no SidecarSet reads), as in bench/mutate-pod-load.ts.
const reviews = Array.from({ length: PODS }, (_, i) => review(`uid-${i}`, { "pod-template-hash": `t${i}` }));
const times: [number[], number[]] = [[], []];
let differing = 0;
// Round 0 warms both builds up and is not counted.
for (let round = 0; round <= ROUNDS; round++) {
  for (let i = 0; i < PODS; i++) {
    const now = new Date(Date.UTC(2026, 0, 1) + (round * PODS + i) * 10);
    const order = (i + round) % 2 === 0 ? [0, 1] : [1, 0];
    const answers: (string | undefined)[] = [];
    for (const b of order) {
      const started = process.hrtime.bigint();
      answers[b] = builds[b]!(reviews[i]!, now);
      if (round > 0) times[b]!.push(Number(process.hrtime.bigint() - started) / 1000);
    }
    if (answers[0] !== answers[1]) differing++;
  }
}

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const ratios = times[0].map((t, i) => t / times[1][i]!);
process.stdout.write(
  `one admission's work in process (100 SidecarSets, 10 injecting, pods that all differ), two builds in turn, ${PODS} pods × ${ROUNDS} rounds each\n`,
);
printTable([
  ["BUILD", "P50 µs", "P90 µs"],
  ...[0, 1].map((b) => [names[b]!, quantile(times[b]!, 0.5).toFixed(1), quantile(times[b]!, 0.9).toFixed(1)]),
]);
process.stdout.write(
  `median of the paired ratios (${names[0]} / the other): ${quantile(ratios, 0.5).toFixed(3)}; answers that differ: ${differing} of ${PODS * (ROUNDS + 1)}\n`,
);

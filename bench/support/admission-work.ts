// One admission's work as the pod webhook does it, from a build's dist/
// directory: parse the review, inject with the webhook's kept objects (100
// SidecarSets of the shared workload, 10 injecting), encode the patch. For the
// in-process admission benchmarks (admission-gaps.ts, admission-pair.ts).
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { SidecarSet } from "../../src/api/types.js";
import type { JsonPatchOp } from "../../src/api/json-patch.js";
import { sidecarSets } from "./admission-workload.js";

export interface AdmissionWork {
  parse(text: string): unknown;
  /** The patch for the parsed review's pod, admitted at `now`. */
  inject(review: unknown, now: Date): JsonPatchOp[];
  encode(patch: JsonPatchOp[]): string | undefined;
}

export async function admissionWork(dist: string): Promise<AdmissionWork> {
  const load = <T>(module: string) => import(pathToFileURL(resolve(dist, module)).href) as Promise<T>;
  const { injectPod } = await load<typeof import("../../src/core/inject/inject.js")>("core/inject/inject.js");
  const { SelectionIndex } = await load<typeof import("../../src/core/inject/selection-index.js")>("core/inject/selection-index.js");
  const { BuiltSidecars } = await load<typeof import("../../src/core/inject/built-sidecars.js")>("core/inject/built-sidecars.js");
  const { encodePatch } = await load<typeof import("../../src/webhook/admission.js")>("webhook/admission.js");
  const sets: SidecarSet[] = sidecarSets();
  const index = new SelectionIndex(sets);
  const built = new BuiltSidecars();
  return {
    parse: (text) => JSON.parse(text),
    inject: (review, now) => {
      const result = injectPod({
        pod: (review as { request: { object: never } }).request.object,
        requestNamespace: "demo",
        sidecarSets: sets,
        selectionIndex: index,
        namespaceLabels: () => ({ "kubernetes.io/metadata.name": "demo" }),
        revisions: [],
        now,
        random: Math.random,
        builtSidecars: built,
        skipReasons: false,
      });
      if (result.kind !== "injected") throw new Error(`benchmark setup is wrong: ${result.kind}`);
      return result.patch;
    },
    encode: (patch) => encodePatch(patch),
  };
}

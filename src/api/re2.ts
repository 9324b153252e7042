// RE2JS, loaded the first time a pattern is compiled. Its bundle (260 KB of
// source and Unicode tables built when it loads) costs a thread about 0.7 MB
// of heap, and the pod webhook compiles a pattern only for a SidecarSet that
// uses resourcesPolicy or patchPodMetadata: a webhook thread that never does
// so does not keep it. Loaded through require (the package ships both
// builds), so that the first use stays synchronous.
import { createRequire } from "node:module";
import type { RE2JS } from "re2js";

let loaded: typeof RE2JS | undefined;

export function re2(): typeof RE2JS {
  return (loaded ??= (createRequire(import.meta.url)("re2js") as typeof import("re2js")).RE2JS);
}

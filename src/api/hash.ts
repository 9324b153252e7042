// The SidecarSet hash and hash-without-image (docs/behaviour.md §3.1), bit-compatible with
// OpenKruise: pods it annotated keep matching, so adoption starts no rollout.
import * as crypto from "node:crypto";
import { encodeGoJsonList, type GoTypeName } from "./canonical-json.js";
import { isNativeSidecar } from "./sidecar-containers.js";
import type { SidecarContainer, SidecarSet } from "./types.js";

const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/**
 * Maps every character to the alphabet Kubernetes uses for generated names
 * (no vowels, no 0/1/3), by code point modulo 27. Meant for hex and decimal
 * digits: `0→4 … 9→f, a→v … f→4`.
 */
export function safeEncode(s: string): string {
  let out = "";
  for (const ch of s) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

/**
 * The JSON document that is hashed: `{"containers":C}` plus the whole
 * initContainers list when any of them is a native sidecar. Plain
 * initContainers, volumes and everything else stay out, so editing them
 * starts no rollout.
 */
export function sidecarSetHashInput(set: SidecarSet, withImage = true): string {
  const type: GoTypeName = withImage ? "SidecarContainer" : "SidecarContainerWithoutImage";
  const spec = set.spec ?? {};
  let doc = `{"containers":${encodeGoJsonList(spec.containers, type)}`;
  const init: SidecarContainer[] | undefined = spec.initContainers;
  if (Array.isArray(init) && init.some(isNativeSidecar)) doc += `,"initContainers":${encodeGoJsonList(init, type)}`;
  return `${doc}}`;
}

// crypto.hash (Node >= 20.12) skips the Hash object; older 20.x falls back to createHash.
const sha256Hex: (doc: string) => string =
  typeof (crypto as { hash?: unknown }).hash === "function"
    ? (doc) => (crypto as unknown as { hash(alg: string, data: string, enc: "hex"): string }).hash("sha256", doc, "hex")
    : (doc) => crypto.createHash("sha256").update(doc, "utf8").digest("hex");

function digest(doc: string): string {
  return safeEncode(sha256Hex(doc));
}

/** `kruise.io/sidecarset-hash`: 64 characters. */
export function sidecarSetHash(set: SidecarSet): string {
  return digest(sidecarSetHashInput(set, true));
}

/** `kruise.io/sidecarset-hash-without-image`: the same with every container image left out. */
export function sidecarSetHashWithoutImage(set: SidecarSet): string {
  return digest(sidecarSetHashInput(set, false));
}

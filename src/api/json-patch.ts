// RFC 6902 JSON patches as the manager writes them: to pods (injection and
// in-place upgrades), to webhook configurations and the CRD, and in the
// webhook's answers. One operation type, so every writer is held to the
// fields each op must carry.

export type JsonPatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string }
  | { op: "move" | "copy"; from: string; path: string };

/** RFC 6901 escaping of one path segment: `~` → `~0`, `/` → `~1`. */
export function escapePointerSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

// The content digest that tells a credentials file was rewritten (a rotated
// service-account token, a renewed client certificate). Content, not mtime:
// a projected volume swaps a symlink, and mtimes can tie within a second.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";

export const UNREADABLE = "unreadable";

const sha256 = (content: Buffer): string => createHash("sha256").update(content).digest("hex");

export function fileDigestSync(path: string): string {
  try {
    return sha256(readFileSync(path));
  } catch {
    return UNREADABLE;
  }
}

export async function fileDigest(path: string): Promise<string> {
  try {
    return sha256(await readFile(path));
  } catch {
    return UNREADABLE;
  }
}

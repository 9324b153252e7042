// The content digest that tells a credentials file was rewritten (a rotated
// service-account token, a renewed client certificate). Content, not mtime:
// a projected volume swaps a symlink, and mtimes can tie within a second.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

export const UNREADABLE = "unreadable";

const sha256 = (content: Buffer): string => createHash("sha256").update(content).digest("hex");

export async function fileDigest(path: string): Promise<string> {
  try {
    return sha256(await readFile(path));
  } catch {
    return UNREADABLE;
  }
}

// The API server's Kubernetes version, for defaults that depend on what it supports.

export interface ServerVersion {
  major: number;
  minor: number;
  gitVersion: string;
}

/** Reads `/version`, which every authenticated client may read. */
export async function serverVersion(client: { get<T>(path: string): Promise<T> }): Promise<ServerVersion> {
  const info = await client.get<{ major?: string; minor?: string; gitVersion?: string }>("/version");
  return parseServerVersion(info);
}

/** Distributions write `minor` as "30+"; `gitVersion` ("v1.30.2-eks-…") is the fallback. */
export function parseServerVersion(info: { major?: string; minor?: string; gitVersion?: string }): ServerVersion {
  const fromGit = /^v?(\d+)\.(\d+)/.exec(info.gitVersion ?? "");
  const major = Number.parseInt(info.major ?? "", 10);
  const minor = Number.parseInt(info.minor ?? "", 10);
  return {
    major: Number.isNaN(major) ? Number(fromGit?.[1] ?? 0) : major,
    minor: Number.isNaN(minor) ? Number(fromGit?.[2] ?? 0) : minor,
    gitVersion: info.gitVersion ?? "",
  };
}

/** Whether the server is at least `major.minor`. */
export function atLeast(v: ServerVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

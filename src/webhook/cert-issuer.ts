// Who issues the webhook's certificates. Issuing needs @peculiar/x509 (about
// 9 MB of RSS that a module, once imported, keeps for the life of the
// process), and happens once at the first start and then about once a year.
// The manager therefore issues in a helper process (cert-issue-process.ts);
// anything else that issues, such as the tests, can do it in process.
import { helperScript, runHelperProcess, type HelperFailure } from "../process/helper-process.js";
import type { CertBundle, KeyAndCert } from "./cert-issue.js";
import type { ServingNames } from "./cert-names.js";

export interface CertIssuer {
  /** A new CA and a serving certificate signed by it. */
  createCertBundle(names: ServingNames, now: Date): Promise<CertBundle>;
  /** A serving certificate for `names`, signed by the first certificate of `ca.cert`. */
  issueServingCertificate(ca: { cert: string; key: string }, names: ServingNames, now: Date): Promise<KeyAndCert>;
}

/** Issues in this process, loading the library on first use. */
export const inProcessIssuer: CertIssuer = {
  createCertBundle: async (names, now) => (await import("./cert-issue.js")).createCertBundle(names, now),
  issueServingCertificate: async (ca, names, now) => (await import("./cert-issue.js")).issueServingCertificate(ca, names, now),
};

/** What the manager asks cert-issue-process.ts. */
export interface IssueRequest {
  names: ServingNames;
  /** ISO 8601. */
  now: string;
  /** The CA to sign with; without it a new CA is created too. */
  ca?: { cert: string; key: string };
}

export type IssueAnswer =
  | { ok: true; caCert?: string; caKey?: string; cert: string; key: string; notAfter: string }
  | HelperFailure;

/** Key generation and signing take milliseconds; loading the library about half a second. */
const ISSUE_TIMEOUT_MS = 60_000;

async function issueInHelper(request: IssueRequest): Promise<Extract<IssueAnswer, { ok: true }>> {
  const answer = await runHelperProcess<IssueAnswer>(helperScript(import.meta.url, "cert-issue-process"), request, {
    what: "the certificate helper process",
    timeoutMs: ISSUE_TIMEOUT_MS,
  });
  if (!answer.ok) throw new Error(`issuing the webhook certificate failed: ${answer.message}`);
  return answer;
}

/** Issues in a helper process, so the manager never loads the library. */
export const helperProcessIssuer: CertIssuer = {
  async createCertBundle(names, now) {
    const a = await issueInHelper({ names, now: now.toISOString() });
    if (a.caCert === undefined || a.caKey === undefined) throw new Error("the certificate helper process answered without a CA");
    return { caCert: a.caCert, caKey: a.caKey, cert: a.cert, key: a.key, notAfter: new Date(a.notAfter) };
  },
  async issueServingCertificate(ca, names, now) {
    const a = await issueInHelper({ names, now: now.toISOString(), ca });
    return { cert: a.cert, key: a.key, notAfter: new Date(a.notAfter) };
  },
};

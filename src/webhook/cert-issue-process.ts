// The certificate helper process (cert-issuer.ts): issues what one request
// asks for with cert-issue.ts, prints it as one JSON line and exits.
import { answerOneRequest } from "../process/helper-process.js";
import { createCertBundle, issueServingCertificate } from "./cert-issue.js";
import type { IssueAnswer, IssueRequest } from "./cert-issuer.js";

async function answer(request: IssueRequest): Promise<IssueAnswer> {
  const now = new Date(request.now);
  if (request.ca) {
    const serving = await issueServingCertificate(request.ca, request.names, now);
    return { ok: true, cert: serving.cert, key: serving.key, notAfter: serving.notAfter.toISOString() };
  }
  const bundle = await createCertBundle(request.names, now);
  return { ok: true, caCert: bundle.caCert, caKey: bundle.caKey, cert: bundle.cert, key: bundle.key, notAfter: bundle.notAfter.toISOString() };
}

await answerOneRequest(answer);

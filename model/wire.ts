/**
 * How the agent and the ingest endpoint talk: one SigV4-signed (service `lambda`) HTTPS POST per batch to
 * the Lambda Function URL, body = gzip(JSON(AgentBatch)).
 *
 * The content type is `application/octet-stream`, not JSON: a Function URL passes text content types
 * (`text/*`, `application/json`…) to the handler as a UTF-8 string, which would corrupt gzip'd bytes; a
 * binary type arrives base64-encoded (`isBase64Encoded: true`) and intact.
 */
export const INGEST_REQUEST = {
  method: 'POST',
  contentType: 'application/octet-stream',
  contentEncoding: 'gzip',
} as const;

/**
 * The ingest endpoint's answer. `200` accepted (every item stored); `400` bad batch (`problems` names each
 * field), `413` too large and `422` an item DynamoDB can never store: the batch itself is wrong, so the
 * agent must not resend it as it is (it drops and counts it).
 * Anything else — `429`, `5xx`, network errors, and `403`/`405`/`415`, which mean something between the
 * agent and the endpoint is misconfigured (credentials, a proxy), not the batch — the agent keeps the batch
 * and retries with backoff, reporting the failures, so nothing is lost once the cause is fixed.
 */
export interface IngestResponse {
  readonly ok: boolean;
  /** Items written, on success. */
  readonly written?: number;
  readonly problems?: readonly string[];
}

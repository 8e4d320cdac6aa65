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
 * field) and `413` too large: the agent must not resend these as they are; `429`/`5xx` and network errors:
 * the agent keeps the batch and retries with backoff.
 */
export interface IngestResponse {
  readonly ok: boolean;
  /** Items written, on success. */
  readonly written?: number;
  readonly problems?: readonly string[];
}

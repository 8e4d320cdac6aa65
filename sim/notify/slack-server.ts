/**
 * A fake Slack incoming webhook on 127.0.0.1 (port 0), for tests and local mode. It checks each message
 * against Block Kit's limits the way Slack does (answering `400 invalid_blocks`), records what it accepted,
 * and can be told to answer the next requests with a status, e.g. `429` with `Retry-After`, or `503`, or to
 * take a message and answer late.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { SLACK_LIMITS } from '../../lambdas/notify/slack';

export interface ScriptedResponse {
  readonly status: number;
  readonly body?: string;
  readonly retryAfterSeconds?: number;
  /** With status 200: the message is taken as usual, but the answer comes only after this long (a slow Slack). */
  readonly delayMs?: number;
}

export interface FakeSlack {
  /** The webhook URL to store in the secret. */
  readonly url: string;
  /** Messages accepted, parsed. */
  readonly posts: unknown[];
  /** Every request, with the status it got. */
  readonly requests: { readonly status: number; readonly at: number }[];
  /** The next requests get these answers, in order; then `200 ok` again. */
  respond(...responses: ScriptedResponse[]): void;
  close(): Promise<void>;
}

interface BlockLike {
  readonly type?: string;
  readonly text?: { readonly text?: string };
  readonly fields?: readonly { readonly text?: string }[];
  readonly elements?: readonly { readonly text?: string }[];
}

/** The problems Slack would report for a message, empty when it would accept it. */
export function blockKitProblems(message: unknown): string[] {
  const m = message as { text?: unknown; blocks?: unknown };
  const problems: string[] = [];
  if (typeof m !== 'object' || m === null) return ['not a JSON object'];
  if (m.blocks === undefined) return typeof m.text === 'string' ? [] : ['no text and no blocks'];
  if (!Array.isArray(m.blocks)) return ['blocks is not an array'];
  if (m.blocks.length > SLACK_LIMITS.blocks) problems.push(`${m.blocks.length} blocks (max ${SLACK_LIMITS.blocks})`);
  (m.blocks as BlockLike[]).forEach((b, i) => {
    const len = (t?: { text?: string }) => t?.text?.length ?? 0;
    if (b.type === 'header' && len(b.text) > SLACK_LIMITS.headerText)
      problems.push(`blocks[${i}] header text ${len(b.text)} chars (max ${SLACK_LIMITS.headerText})`);
    if (b.type === 'section') {
      if (!b.text && !b.fields?.length) problems.push(`blocks[${i}] section has neither text nor fields`);
      if (len(b.text) > SLACK_LIMITS.sectionText)
        problems.push(`blocks[${i}] section text ${len(b.text)} chars (max ${SLACK_LIMITS.sectionText})`);
      if ((b.fields?.length ?? 0) > SLACK_LIMITS.fields)
        problems.push(`blocks[${i}] ${b.fields!.length} fields (max ${SLACK_LIMITS.fields})`);
      b.fields?.forEach(
        (f, j) =>
          len(f) > SLACK_LIMITS.fieldText && problems.push(`blocks[${i}].fields[${j}] ${len(f)} chars (max ${SLACK_LIMITS.fieldText})`),
      );
    }
    if (b.type === 'context' && (b.elements?.length ?? 0) > SLACK_LIMITS.contextElements)
      problems.push(`blocks[${i}] ${b.elements!.length} context elements (max ${SLACK_LIMITS.contextElements})`);
  });
  return problems;
}

/** How a receiver answers an accepted message and a refused one: Slack's `200 ok` and `400 invalid_blocks` by default. */
export interface Answers {
  readonly accepted: (message: unknown) => { readonly status: number; readonly body: string };
  readonly refused: (problems: readonly string[]) => { readonly status: number; readonly body: string };
}

const SLACK_ANSWERS: Answers = { accepted: () => ({ status: 200, body: 'ok' }), refused: () => ({ status: 400, body: 'invalid_blocks' }) };

/** `problems` checks each message (Block Kit by default; the other receivers' tests pass their own schema and answers). */
export async function startFakeSlack(
  problems: (message: unknown) => string[] = blockKitProblems,
  answers: Answers = SLACK_ANSWERS,
): Promise<FakeSlack> {
  const posts: unknown[] = [];
  const requests: { status: number; at: number }[] = [];
  const script: ScriptedResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const next = script.shift();
      const answer = (status: number, text: string, headers: Record<string, string> = {}) => {
        requests.push({ status, at: Date.now() });
        const send = () => !res.destroyed && res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text);
        if (next?.delayMs) setTimeout(send, next.delayMs);
        else send();
      };
      if (next && !next.delayMs)
        return answer(
          next.status,
          next.body ?? (next.status === 429 ? 'rate_limited' : 'error'),
          next.retryAfterSeconds !== undefined ? { 'retry-after': String(next.retryAfterSeconds) } : {},
        );
      if (req.method !== 'POST') return answer(405, 'method_not_allowed');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return answer(400, 'invalid_payload');
      }
      const found = problems(parsed);
      if (found.length) {
        const r = answers.refused(found);
        return answer(r.status, r.body);
      }
      posts.push(parsed);
      const r = answers.accepted(parsed);
      return answer(r.status, r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/services/T000/B000/local`,
    posts,
    requests,
    respond: (...r) => script.push(...r),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

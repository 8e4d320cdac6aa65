/**
 * The ingest endpoint: a Lambda Function URL (AWS_IAM) that receives the agent's batches and writes the
 * Kubernetes side of each node-minute, the cluster rollup's Kubernetes fields, events and the heartbeat.
 *
 * Status codes (the agent's retry policy depends on them, see `model/wire.ts`):
 * - 200 every item stored; 400 bad batch (each problem named); 413 too large; 415 unknown encoding;
 *   405 not a POST; 422 an item can never be stored (over a DynamoDB limit, or refused by DynamoDB as
 *   invalid): nothing of the batch is written when that is known before writing — the agent must not
 *   resend these as they are;
 * - 403 the caller is not one of the stack's agent roles (answered before the body is read), or the batch
 *   is for another cluster than the one its role writes: a configuration to fix, so the agent keeps it;
 * - 503 some items could not be stored (throttling, `UnprocessedItems` left after retries, or no time left
 *   for another retry before the function's timeout): resend the whole batch, the writes are idempotent;
 *   500 anything unexpected.
 * Never a stack trace: errors are logged by name and message, answered with a fixed text.
 */
import type { APIGatewayProxyStructuredResultV2, Context, LambdaFunctionURLEvent } from 'aws-lambda';
import type { Logger } from '../../common/log';
import type { AgentBatch } from '../../model/batch';
import { listedProblems, parseBatch } from '../../model/batch';
import type { KubeNodeMinute } from '../../model/domain';
import { DAY_MS, MINUTE_MS, minuteOf, type Clock, type EpochMs } from '../../model/time';
import type { IngestResponse } from '../../model/wire';
import { DEFAULT_ROUTE_LABELS } from '../../model/route';
import { routeLabelsOf, RouteLabelsWriter } from '../store/route-labels';
import type { WriteFailure, WriteReport } from '../store/dynamo';
import type { VigilStore } from '../store/store';
import { decodeBody, DEFAULT_BODY_LIMITS, type BodyLimits } from './decode';
import { kubeRollupOf } from './rollup';
import { writerResolver, type AgentWriter } from './writers';

export interface IngestDeps {
  readonly store: VigilStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The agent roles and the one cluster each may write; any other caller is refused before its body is read. */
  readonly writers: readonly AgentWriter[];
  /** @default BATCH_LIMITS */
  readonly limits?: BodyLimits;
  /** Batches stamped further ahead of this endpoint's clock are refused. @default 5 minutes */
  readonly maxClockSkewMs?: number;
  /** Label keys lifted from workloads and namespaces for routes (`vigil:routeLabels`). @default DEFAULT_ROUTE_LABELS */
  readonly routeLabels?: readonly string[];
}

/** Lambda's context, for the time left; without it (local mode, tests) retries are bounded by attempts only. */
export type IngestHandler = (
  event: LambdaFunctionURLEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Kept back from the function's timeout to log and answer 503 with what was stored. */
const ANSWER_RESERVE_MS = 2000;

/** Failures listed in a response; the rest are counted. */
const MAX_LISTED_FAILURES = 5;

export function createIngestHandler(deps: IngestDeps): IngestHandler {
  const limits = deps.limits ?? DEFAULT_BODY_LIMITS;
  const maxSkew = deps.maxClockSkewMs ?? 5 * MINUTE_MS;
  const writerOf = writerResolver(deps.writers);
  const routeLabelKeys = deps.routeLabels ?? DEFAULT_ROUTE_LABELS;
  const routeLabels = new RouteLabelsWriter(deps);

  return async (event, context) => {
    const started = deps.clock.now();
    const deadline = context ? started + context.getRemainingTimeInMillis() - ANSWER_RESERVE_MS : undefined;
    const caller = writerOf(event);
    const log = deps.logger.child({ caller: caller.arn });
    const refuse = (status: number, problems: readonly string[], fields: Record<string, unknown> = {}) => {
      log.warn('batch refused', { status, problems: problems.slice(0, MAX_LISTED_FAILURES), problemCount: problems.length, ...fields });
      return respond(status, { ok: false, problems }, status === 405 ? { allow: 'POST' } : {});
    };
    try {
      if (!caller.ok) return refuse(403, [caller.problem]);
      const method = event.requestContext?.http?.method ?? 'POST';
      if (method !== 'POST') return refuse(405, [`method ${method} is not allowed: POST a batch`]);

      const decoded = decodeBody(event, limits);
      if (!decoded.ok) return refuse(decoded.status, [decoded.problem]);

      const parsed = parseBatch(decoded.value);
      if (!parsed.ok) return refuse(400, parsed.problems, batchFields(decoded.value));
      const batch = parsed.batch;
      if (batch.cluster !== caller.cluster) {
        return refuse(
          403,
          [`cluster: this agent role writes cluster "${caller.cluster}" only, not "${batch.cluster}"; check the agent's VIGIL_CLUSTER`],
          batchFields(batch),
        );
      }
      const window = { now: started, maxSkewMs: maxSkew, retentionDays: deps.store.retentionDays };
      const problems = checkBatch(batch, window);
      if (problems.length) return refuse(400, listedProblems(problems), batchFields(batch));

      const report = await storeBatch(deps.store, clampEventTimes(batch, window), deadline);
      const labels = routeLabelsOf(batch, routeLabelKeys);
      if (labels) await routeLabels.write(batch.cluster, labels);
      const fields = {
        ...batchFields(batch),
        compressedBytes: decoded.compressedBytes,
        jsonBytes: decoded.jsonBytes,
        written: report.written,
        skipped: report.skipped,
        durationMs: deps.clock.now() - started,
      };
      if (report.failed.length) {
        // A permanent failure will fail again: tell the agent not to resend (the next batch carries fresh state).
        const permanent = report.failed.some((f) => f.permanent);
        const status = permanent ? 422 : 503;
        log.error('batch not fully stored', { ...fields, status, failed: report.failed.length, first: report.failed[0] });
        return respond(status, { ok: false, written: report.written, problems: failureProblems(report.failed, permanent) });
      }
      log.info('batch stored', fields);
      return respond(200, { ok: true, written: report.written });
    } catch (e) {
      log.error('ingest failed', { error: e });
      return respond(500, { ok: false, problems: ['internal error: the batch was not stored; resend it'] });
    }
  };
}

/** The times a batch may be about: from the retention's start to a little ahead of this endpoint's clock. */
interface TimeWindow {
  readonly now: EpochMs;
  readonly maxSkewMs: number;
  readonly retentionDays: number;
}

/** Checks the schema cannot express: duplicates and clocks. */
export function checkBatch(batch: AgentBatch, ctx: TimeWindow): string[] {
  const problems: string[] = [];
  for (const field of ['collectedAt', 'sentAt'] as const) {
    const t = batch[field];
    if (t !== undefined && t - ctx.now > ctx.maxSkewMs) {
      problems.push(
        `${field}: ${new Date(t).toISOString()} is ${Math.round((t - ctx.now) / 1000)} s ahead of this endpoint's clock; check the node's time sync`,
      );
    }
  }
  if (ctx.now - batch.collectedAt > ctx.retentionDays * DAY_MS) {
    problems.push(
      `collectedAt: ${new Date(batch.collectedAt).toISOString()} is older than the ${ctx.retentionDays}-day retention; nothing to store`,
    );
  }
  const seen = new Map<string, number>();
  batch.nodes.forEach(({ node }, i) => {
    for (const [what, id] of [
      ['name', node.name],
      ['instanceId', node.instanceId],
    ] as const) {
      if (id === undefined) continue;
      const first = seen.get(`${what}/${id}`);
      if (first !== undefined) problems.push(`nodes[${i}].node.${what}: "${id}" is also reported by nodes[${first}]`);
      else seen.set(`${what}/${id}`, i);
    }
  });
  return problems;
}

/**
 * Events with their times moved into the window: an event's last time picks its day partition and its TTL,
 * so a clock in the cluster set to 2099 must not file it under 2099 and keep it for 75 years.
 */
export function clampEventTimes(batch: AgentBatch, w: TimeWindow): AgentBatch {
  const from = w.now - w.retentionDays * DAY_MS;
  const to = w.now + w.maxSkewMs;
  const clamp = (t: EpochMs) => Math.min(to, Math.max(from, t));
  if (batch.events.every((e) => clamp(e.firstSeen) === e.firstSeen && clamp(e.lastSeen) === e.lastSeen)) return batch;
  return { ...batch, events: batch.events.map((e) => ({ ...e, firstSeen: clamp(e.firstSeen), lastSeen: clamp(e.lastSeen) })) };
}

/** The Kubernetes part of each reported node's minute, with the node's scrape error attached. */
export function kubeMinutesOf(batch: AgentBatch): KubeNodeMinute[] {
  const errors = new Map(batch.scrapeErrors.map((e) => [e.node, e]));
  const minute = minuteOf(batch.collectedAt);
  return batch.nodes.map(({ node, stats, pods }) => ({
    minute,
    collectedAt: batch.collectedAt,
    node,
    stats,
    pods,
    scrapeError: errors.get(node.name),
  }));
}

/**
 * Writes a validated batch; every write is idempotent, so a resent batch writes the same items. A `change`
 * batch carries only some nodes, so it leaves the cluster rollup to the full batches.
 */
export function storeBatch(store: VigilStore, batch: AgentBatch, deadline?: EpochMs): Promise<WriteReport> {
  return store.putKubeBatch(
    batch.cluster,
    {
      minutes: kubeMinutesOf(batch),
      rollup: batch.kind === 'full' ? { rollup: kubeRollupOf(batch), part: batch.part, shard: batch.shard } : undefined,
      events: batch.events,
      heartbeat: { cluster: batch.cluster, lastSeen: batch.sentAt ?? batch.collectedAt, agent: batch.agent },
    },
    deadline,
  );
}

function failureProblems(failed: readonly WriteFailure[], permanent: boolean): string[] {
  const listed = [...failed].sort((a, b) => Number(b.permanent ?? false) - Number(a.permanent ?? false)).slice(0, MAX_LISTED_FAILURES);
  return [
    permanent
      ? `${failed.length} items cannot be stored as they are; do not resend this batch`
      : `${failed.length} items were not stored (the table is throttled or unavailable); resend the batch`,
    ...listed.map((f) => `${f.key}: ${f.reason}`),
    ...(failed.length > listed.length ? [`… and ${failed.length - listed.length} more`] : []),
  ];
}

function batchFields(b: unknown): Record<string, unknown> {
  if (typeof b !== 'object' || b === null) return {};
  const x = b as Partial<AgentBatch>;
  return {
    cluster: typeof x.cluster === 'string' ? x.cluster.slice(0, 100) : undefined,
    kind: typeof x.kind === 'string' ? x.kind.slice(0, 20) : undefined,
    seq: typeof x.seq === 'number' ? x.seq : undefined,
    nodes: Array.isArray(x.nodes) ? x.nodes.length : undefined,
    pods: Array.isArray(x.nodes) ? x.nodes.reduce((a, n) => a + (Array.isArray(n?.pods) ? n.pods.length : 0), 0) : undefined,
    events: Array.isArray(x.events) ? x.events.length : undefined,
  };
}

function respond(statusCode: number, body: IngestResponse, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

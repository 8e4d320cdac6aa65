/**
 * The evaluator on a dynalite store with a steady cluster: each `tick` writes one minute of data the way ingest
 * and the collector do, then evaluates 30 s later, as the scheduled Lambda would.
 */
import { silentLogger } from '../../../common/log';
import { resolveRules, ruleOverridesSchema, type ParsedOverrides } from '../../../lambdas/evaluator/config';
import { createEvaluator, type ClusterEvaluation, type Evaluator, type EvaluatorDeps } from '../../../lambdas/evaluator/evaluator';
import type { AlertChange } from '../../../model/notification';
import type { AlertPublisher, OutgoingMessage } from '../../../lambdas/message/publisher';
import type { LocalDynamo } from '../../../local/dynalite';
import type { VigilStore } from '../../../lambdas/store/store';
import { MINUTE_MS } from '../../../model/time';
import { startTestStore, type TestStore } from '../../support/store';
import { SteadyCluster, type ScenarioOptions } from '../../../sim/steady-cluster';

export const T0 = Date.UTC(2026, 10, 23, 12, 0, 5);

export class CapturingPublisher implements AlertPublisher {
  readonly messages: OutgoingMessage[] = [];
  failNext = 0;
  async publish(m: OutgoingMessage): Promise<string> {
    if (this.failNext > 0) {
      this.failNext--;
      throw Object.assign(new Error('SNS is unavailable'), { name: 'InternalErrorException' });
    }
    this.messages.push(m);
    return `msg-${this.messages.length}`;
  }
  /** Every change published, in order. */
  get changes(): AlertChange[] {
    return this.messages.flatMap((m) => m.notification.changes);
  }
  of(rule: string): AlertChange[] {
    return this.changes.filter((c) => c.rule === rule);
  }
}

export interface Harness {
  readonly t: TestStore;
  readonly store: VigilStore;
  readonly steady: SteadyCluster;
  readonly publisher: CapturingPublisher;
  readonly evaluator: Evaluator;
  readonly emitted: string[];
  /** The minute index of the next tick. */
  minute: number;
  /** Writes the next minute(s) and evaluates after each; returns the evaluations. */
  tick(minutes?: number): Promise<ClusterEvaluation[]>;
  /** The time of the next tick's data. */
  readonly nextTime: number;
}

export async function harness(
  dynamo: LocalDynamo,
  opts: ScenarioOptions & { readonly rules?: unknown; readonly hostPeriodMinutes?: number } & Pick<
      EvaluatorDeps,
      'maintenanceWindows' | 'runbookBaseUrl' | 'routes' | 'routeLabels'
    > = { nodes: 6 },
): Promise<Harness> {
  const t = await startTestStore(dynamo, T0);
  const store = t.store();
  const steady = new SteadyCluster(opts);
  const publisher = new CapturingPublisher();
  const emitted: string[] = [];
  const evaluator = createEvaluator({
    store,
    publisher,
    clock: t.clock,
    logger: silentLogger,
    rules: resolveRules(ruleOverridesSchema.parse(opts.rules ?? {}) as ParsedOverrides),
    emit: (line) => emitted.push(line),
    hostPeriodMinutes: opts.hostPeriodMinutes,
    maintenanceWindows: opts.maintenanceWindows,
    runbookBaseUrl: opts.runbookBaseUrl,
    routes: opts.routes,
    routeLabels: opts.routeLabels,
  });
  const h: Harness = {
    t,
    store,
    steady,
    publisher,
    evaluator,
    emitted,
    minute: 0,
    get nextTime() {
      return T0 + h.minute * MINUTE_MS;
    },
    async tick(minutes = 1) {
      const out: ClusterEvaluation[] = [];
      for (let i = 0; i < minutes; i++) {
        const at = T0 + h.minute * MINUTE_MS;
        t.clock.set(at);
        await steady.write(store, at);
        t.clock.set(at + 30_000);
        out.push(await evaluator.evaluateCluster(steady.cluster));
        h.minute++;
      }
      return out;
    },
  };
  return h;
}

/**
 * A rule on real windows: a condition that lasts one minute stays silent, and one that lasts fires once,
 * `forMinutes` after it began (plus `lagMinutes` for data that reaches the evaluator late), not before.
 * `set(true)` breaks the cluster the way the rule watches for, `set(false)` mends it.
 */
export async function expectBlipSilentAndForHonoured(
  h: Harness,
  rule: string,
  opts: { readonly forMinutes: number; readonly lagMinutes?: number; readonly set: (broken: boolean) => void },
): Promise<void> {
  const wait = opts.forMinutes + (opts.lagMinutes ?? 0);
  opts.set(false);
  await h.tick(2);
  opts.set(true);
  await h.tick(1);
  opts.set(false);
  await h.tick(wait + 2);
  expect(h.publisher.of(rule)).toEqual([]);
  opts.set(true);
  const runs = await h.tick(wait + 2);
  expect(h.publisher.of(rule).map((c) => c.kind)).toEqual(['firing']);
  expect(runs.findIndex((r) => r.changes.some((c) => c.rule === rule))).toBe(wait);
}

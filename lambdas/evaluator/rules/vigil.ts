/**
 * Vigil watching itself: silence must never look like health. When the agent's data stops, every
 * agent-derived alert is held as it is and muted, and this alert says so; the same for the collector.
 */
import { humanDuration } from '../../../model/quantity';
import { utc as at } from '../../../model/time';
import { distinct, listSome, truncate } from './common';
import { defineRule, param } from './types';

export const agentSilent = defineRule({
  id: 'agent-silent',
  title: 'No data from the cluster agent',
  meaning:
    "No agent data has been stored for the cluster within the threshold: the agent is down, cannot reach the ingest URL, cannot list nodes and pods (it then sends only heartbeats), or ingest rejects or cannot store its batches. Every alert based on the agent's data is held (neither fired nor resolved) until data returns.",
  action:
    "Check the agent (`kubectl -n vigil get pods`, its logs: push and list errors name the cause), its IAM role for the ingest URL, its RBAC, and the ingest function's errors.",
  sources: {},
  defaults: { severity: 'critical', for: '0', silentAfter: '3m' },
  params: { silentAfter: param.duration() },
  threshold: (p) => `no stored agent data for ${Math.round(p.silentAfter / 60_000)} min`,
  needs: (s) => ({ agentSilentAfterMs: s.params.silentAfter }),
  // What the agent's data says is held, and muted while it lasts; never the domino: it is the alert that must
  // get through, and one unrelated failure must not hide it.
  inhibits: [{ target: { reads: 'agent', ruleNot: ['scale-in-under-pressure'] }, equal: [] }],
  evaluate(ctx, s) {
    // The newest data read this time, else the newest minute ever observed (reads resume from recent minutes).
    const lastData = ctx.lastKube?.collectedAt ?? ctx.memory.kubeMinute;
    if (lastData !== undefined && ctx.now - lastData < s.params.silentAfter) return [];
    const hb = ctx.heartbeat;
    const heartbeatFresh = hb !== undefined && ctx.now - hb.lastSeen < s.params.silentAfter;
    const summary =
      hb === undefined && lastData === undefined
        ? `No data from the Vigil agent of cluster ${ctx.cluster} has ever been stored: is the agent deployed and allowed to call the ingest URL?`
        : heartbeatFresh
          ? `The agent of cluster ${ctx.cluster} is pushing, but no cluster data was stored${lastData ? ` since ${at(lastData)}` : ''}: either it cannot list nodes and pods (its RBAC or the API server: see its log) or ingest cannot store its batches (see the ingest function's errors)`
          : `The agent of cluster ${ctx.cluster} has not pushed for ${humanDuration(ctx.now - (hb?.lastSeen ?? lastData ?? ctx.now))} (last batch ${hb ? at(hb.lastSeen) : 'never'})`;
    return [
      {
        subject: { cluster: ctx.cluster },
        severity: s.severity,
        summary,
        evidence: {
          lastBatch: hb ? at(hb.lastSeen) : 'never',
          lastStoredData: lastData ? at(lastData) : 'never',
          silenceSeconds: Math.round((ctx.now - (lastData ?? hb?.lastSeen ?? ctx.now)) / 1000),
          ...(hb
            ? {
                agentVersion: hb.agent.version,
                buffered: hb.agent.buffered,
                pushFailures: hb.agent.pushFailures,
                droppedBatches: hb.agent.droppedBatches,
              }
            : {}),
        },
        since: lastData ?? hb?.lastSeen,
      },
    ];
  },
});

export const agentDataStale = defineRule({
  id: 'agent-data-stale',
  title: 'Agent data stale',
  meaning:
    "The agent pushes, but its copy of some resources (nodes, pods, workloads, events, Karpenter's NodePools and NodeClaims) has not been refreshed within the threshold: their list/watch fails (403 after an RBAC change, throttling) or stalls, so it ships their last known state as current. The alerts reading those resources are held (neither fired nor resolved) until they are fresh again.",
  action:
    "Read the agent's log for list and watch errors of the stale resources (evidence), and its readiness (`kubectl -n vigil describe pod`); check its RBAC and the API server's health.",
  // Held, not resolved, while the agent is silent: agent-silent tells that story.
  sources: { agent: true },
  defaults: { severity: 'critical', for: '0', staleAfter: '5m' },
  params: { staleAfter: param.duration() },
  threshold: (p) => `a resource's data older than ${Math.round(p.staleAfter / 60_000)} min`,
  needs: (s) => ({ resourceStaleAfterMs: s.params.staleAfter }),
  evaluate(ctx, s) {
    const stale = [...ctx.blind.resources].sort(([a], [b]) => a.localeCompare(b));
    if (stale.length === 0) return [];
    const oldest = Math.max(...stale.map(([, r]) => r.ageMs));
    return [
      {
        subject: { cluster: ctx.cluster },
        severity: s.severity,
        summary: `The agent of cluster ${ctx.cluster} is pushing, but its ${stale.map(([kind, r]) => `${kind} (${humanDuration(r.ageMs)} old)`).join(', ')} data is stale: the alerts about them are held until it is fresh`,
        evidence: {
          stale: stale.map(([kind]) => kind).join(', '),
          resources: stale.flatMap(([, r]) => r.reported).join(', '),
          oldestSeconds: Math.round(oldest / 1000),
        },
        since: ctx.now - oldest,
      },
    ];
  },
});

export const collectorFailing = defineRule({
  id: 'collector-failing',
  title: 'Collector failing',
  meaning:
    "The collector could not read part of the cluster's AWS state (EKS, EC2, Auto Scaling, CloudWatch) or has not run: the Auto Scaling, host and EKS alerts based on the missing data are held until it recovers.",
  action:
    "Read the failing operations (evidence) and the collector function's logs: an AccessDenied means its IAM policy lacks a permission, throttling that it needs a longer interval.",
  sources: {},
  defaults: { severity: 'critical', for: '3m', silentAfter: '5m' },
  params: { silentAfter: param.duration() },
  threshold: (p) => `failed AWS calls, or no collector run for ${Math.round(p.silentAfter / 60_000)} min`,
  needs: (s) => ({ cloudSilentAfterMs: s.params.silentAfter }),
  // The same for what the failed AWS services' data says.
  inhibits: [{ target: { reads: 'failed-cloud', ruleNot: ['scale-in-under-pressure'] }, equal: [] }],
  evaluate(ctx, s) {
    const last = ctx.lastCloud;
    const lastRun = last?.collectedAt ?? ctx.memory.cloudMinute;
    if (!last || ctx.now - last.collectedAt >= s.params.silentAfter) {
      return [
        {
          subject: { cluster: ctx.cluster },
          severity: s.severity,
          summary:
            lastRun !== undefined
              ? `The collector has not stored AWS data for cluster ${ctx.cluster} for ${humanDuration(ctx.now - lastRun)}`
              : `The collector has never stored AWS data for cluster ${ctx.cluster}: is it deployed and scheduled?`,
          evidence: { lastRun: lastRun !== undefined ? at(lastRun) : 'never', failures: 0 },
          since: lastRun,
        },
      ];
    }
    if (last.failures.length === 0) return [];
    const ops = distinct(last.failures.map((f) => f.operation));
    return [
      {
        subject: { cluster: ctx.cluster },
        severity: s.severity,
        summary: `The collector could not complete ${listSome(ops, 4)} for cluster ${ctx.cluster}: ${truncate(last.failures[0].message, 160)}`,
        evidence: {
          failures: last.failures.length,
          operations: ops.join(', '),
          firstMessage: truncate(last.failures[0].message, 300),
          lastRun: at(last.collectedAt),
        },
      },
    ];
  },
});

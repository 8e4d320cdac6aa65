/**
 * Silences in the table: one document each under `<cluster>#D#silence`, expiring a day after it ends. Used
 * by `vigil silence` (a deployed table or a local run) and by scenarios; the evaluator only lists them.
 */
import { randomUUID } from 'crypto';
import { SILENCE_KIND, SILENCE_RETENTION_MS, type Silence } from '../../model/silence';
import type { EpochMs } from '../../model/time';
import type { StoredDocument } from './documents';
import type { VigilStore } from './store';

export type SilenceStore = Pick<VigilStore, 'getDocument' | 'listDocuments' | 'putDocument'>;

export class SilenceError extends Error {
  override readonly name = 'SilenceError';
}

/** Stores a new silence; returns it with its id. */
export async function addSilence(store: SilenceStore, cluster: string, s: Omit<Silence, 'id'>): Promise<Silence> {
  if (!(s.endsAt > s.startsAt))
    throw new SilenceError(
      `a silence must end after it starts (${new Date(s.startsAt).toISOString()} → ${new Date(s.endsAt).toISOString()})`,
    );
  const silence: Silence = { id: randomUUID().slice(0, 8), ...s };
  const version = await store.putDocument(cluster, SILENCE_KIND, silence.id, silence, undefined, {
    expiresAt: silence.endsAt + SILENCE_RETENTION_MS,
  });
  if (version === undefined) throw new SilenceError(`silence ${silence.id} already exists in cluster ${cluster}: try again`);
  return silence;
}

/** Every silence of the cluster not yet expired, by start. */
export async function listSilences(store: SilenceStore, cluster: string): Promise<Silence[]> {
  const docs = await store.listDocuments<Silence>(cluster, SILENCE_KIND);
  return docs.map((d) => d.value).sort((a, b) => a.startsAt - b.startsAt || a.id.localeCompare(b.id));
}

/**
 * Ends a silence at `now` (one not started yet ends before it starts). Conditional on the version read, so
 * a concurrent change is retried on what it wrote.
 */
export async function expireSilence(store: SilenceStore, cluster: string, id: string, now: EpochMs): Promise<Silence> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const doc: StoredDocument<Silence> | undefined = await store.getDocument<Silence>(cluster, SILENCE_KIND, id);
    if (!doc) throw new SilenceError(`no silence ${id} in cluster ${cluster} (\`vigil silence list\` shows them)`);
    if (doc.value.endsAt <= now) return doc.value;
    const endsAt = Math.max(now, doc.value.startsAt);
    const ended: Silence = { ...doc.value, endsAt, startsAt: Math.min(doc.value.startsAt, endsAt) };
    if (
      (await store.putDocument(cluster, SILENCE_KIND, id, ended, doc.version, { expiresAt: endsAt + SILENCE_RETENTION_MS })) !== undefined
    )
      return ended;
  }
  throw new SilenceError(`silence ${id} kept changing while it was being expired: try again`);
}

/**
 * The bounded buffer between building batches and the ingest endpoint. Batches are sent oldest first, so
 * a node-minute is never overwritten by older data; a batch the endpoint could not take right now (429,
 * 5xx, timeout, network, credentials) stays and is retried; one it refused (400, 413) is dropped and
 * counted, since sending it again would fail again. When the buffer is full the oldest batch is dropped
 * and counted in `droppedBatches`, which the next batch built reports, or in `droppedUnconfirmedBatches`
 * when a send of it went unanswered (ingest may have stored it: not known lost). The batch being sent is never
 * dropped: it stays at the head until its answer decides its fate, so the bounds may be exceeded by it
 * for as long as the send lasts.
 */
import type { Logger } from '../../common/log';
import type { AgentCounters } from '../status';
import type { EncodedBatch } from './batches';

export type SendOutcome =
  | { readonly kind: 'stored' }
  | { readonly kind: 'rejected'; readonly status: number; readonly detail: string }
  | {
      readonly kind: 'retry';
      readonly status?: number;
      readonly detail: string;
      /** The request was sent but no answer came (a timeout, a reset): ingest may have stored it. */
      readonly unanswered?: boolean;
    };

export interface IngestSink {
  send(batch: EncodedBatch): Promise<SendOutcome>;
}

export interface OutboxOptions {
  readonly sink: IngestSink;
  readonly counters: AgentCounters;
  readonly logger: Logger;
  readonly maxBatches: number;
  readonly maxBytes: number;
  readonly now: () => number;
}

/** `sent`: the buffer is empty; `blocked`: a batch is waiting for a retry. */
export type FlushResult = 'sent' | 'blocked';

export class Outbox {
  private readonly queue: EncodedBatch[] = [];
  private bytes = 0;
  /** `queue[0]` is out with the sink: `trim` must not drop it, and `drain` removes it when answered. */
  private sending = false;
  private chain: Promise<FlushResult> = Promise.resolve('sent');
  /** Batches a send of which went unanswered: perhaps stored. */
  private readonly unanswered = new WeakSet<EncodedBatch>();

  constructor(private readonly opts: OutboxOptions) {}

  get length(): number {
    return this.queue.length;
  }

  /** Queues batches behind those already waiting, dropping the oldest beyond the bounds. */
  add(batches: readonly EncodedBatch[]): void {
    for (const b of batches) {
      this.queue.push(b);
      this.bytes += b.body.length;
    }
    this.trim();
  }

  /** Sends what is queued, oldest first, until the buffer is empty or a batch must wait for a retry. */
  flush(): Promise<FlushResult> {
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  private async drain(): Promise<FlushResult> {
    const { sink, counters: c, logger } = this.opts;
    while (this.queue.length) {
      const b = this.queue[0];
      let outcome: SendOutcome;
      this.sending = true;
      try {
        outcome = await sink.send(b);
      } catch (e) {
        outcome = { kind: 'retry', detail: (e as Error).message };
      } finally {
        this.sending = false;
      }
      const about = { seq: b.seq, kind: b.kind, ...(b.part ? { part: `${b.part.index + 1}/${b.part.count}` } : {}), bytes: b.body.length };
      if (outcome.kind === 'retry') {
        if (outcome.unanswered) this.unanswered.add(b);
        c.pushFailures++;
        c.consecutivePushFailures++;
        logger.warn('push failed: keeping the batch for a retry', {
          ...about,
          status: outcome.status,
          error: outcome.detail,
          buffered: this.queue.length,
        });
        // What arrived during the send may have overfilled the buffer, and the head is droppable again.
        this.trim();
        return 'blocked';
      }
      this.queue.shift();
      this.bytes -= b.body.length;
      if (outcome.kind === 'stored') {
        c.batchesSent++;
        c.bytesSent += b.body.length;
        c.rawBytesSent += b.rawBytes;
        c.consecutivePushFailures = 0;
        c.lastPushAt = this.opts.now();
        logger.debug('batch stored', about);
      } else {
        c.rejectedBatches++;
        logger.error('ingest refused the batch: not resending it', { ...about, status: outcome.status, problems: outcome.detail });
      }
      this.updateCounters();
    }
    return 'sent';
  }

  /** Drops the oldest batches beyond the bounds, except the one being sent and the newest. */
  private trim(): void {
    const c = this.opts.counters;
    const first = this.sending ? 1 : 0;
    let dropped = 0;
    let unconfirmed = 0;
    while (this.queue.length > first + 1 && (this.queue.length > this.opts.maxBatches || this.bytes > this.opts.maxBytes)) {
      const [old] = this.queue.splice(first, 1);
      this.bytes -= old.body.length;
      if (this.unanswered.has(old)) unconfirmed++;
      else dropped++;
    }
    if (dropped || unconfirmed) {
      c.droppedBatches += dropped;
      c.droppedUnconfirmedBatches += unconfirmed;
      this.opts.logger.error('buffer full: dropped the oldest batches', {
        dropped,
        unconfirmed,
        droppedTotal: c.droppedBatches,
        unconfirmedTotal: c.droppedUnconfirmedBatches,
        buffered: this.queue.length,
      });
    }
    this.updateCounters();
  }

  private updateCounters(): void {
    this.opts.counters.buffered = this.queue.length;
    this.opts.counters.bufferedBytes = this.bytes;
  }
}

import { silentLogger } from '../../../common/log';
import type { EncodedBatch } from '../../../agent/push/batches';
import { Outbox, type IngestSink, type SendOutcome } from '../../../agent/push/outbox';
import { AgentCounters } from '../../../agent/status';
import { eventually } from '../eventually';

const batch = (seq: number, bytes = 10): EncodedBatch => ({ seq, kind: 'full', nodes: 1, body: Buffer.alloc(bytes), rawBytes: bytes * 8 });

/** An endpoint that answers from a script (then stores everything), recording what it was sent. */
class ScriptedSink implements IngestSink {
  readonly sent: number[] = [];
  constructor(private readonly script: SendOutcome[] = []) {}
  async send(b: EncodedBatch): Promise<SendOutcome> {
    this.sent.push(b.seq);
    return this.script.shift() ?? { kind: 'stored' };
  }
}

function outbox(sink: IngestSink, maxBatches = 5, maxBytes = 1000) {
  const counters = new AgentCounters('test', 0);
  return { counters, box: new Outbox({ sink, counters, logger: silentLogger, maxBatches, maxBytes, now: () => 42 }) };
}

describe('Outbox', () => {
  it('sends oldest first and stops at the first batch that must wait, keeping it and all behind it', async () => {
    const sink = new ScriptedSink([{ kind: 'stored' }, { kind: 'retry', status: 503, detail: 'unavailable' }]);
    const { box, counters } = outbox(sink);
    box.add([batch(1), batch(2), batch(3)]);
    expect(await box.flush()).toBe('blocked');
    expect(sink.sent).toEqual([1, 2]);
    expect(counters).toMatchObject({
      batchesSent: 1,
      bytesSent: 10,
      rawBytesSent: 80,
      buffered: 2,
      pushFailures: 1,
      consecutivePushFailures: 1,
    });
    box.add([batch(4)]);
    expect(await box.flush()).toBe('sent');
    expect(sink.sent).toEqual([1, 2, 2, 3, 4]);
    expect(counters).toMatchObject({ batchesSent: 4, buffered: 0, consecutivePushFailures: 0, lastPushAt: 42 });
  });

  it('drops a batch the endpoint refused (400/413) and goes on with the next', async () => {
    const sink = new ScriptedSink([{ kind: 'rejected', status: 400, detail: 'seq: invalid' }]);
    const { box, counters } = outbox(sink);
    box.add([batch(1), batch(2)]);
    expect(await box.flush()).toBe('sent');
    expect(sink.sent).toEqual([1, 2]);
    expect(counters).toMatchObject({ rejectedBatches: 1, batchesSent: 1, buffered: 0 });
    expect(counters.status()).toMatchObject({ rejectedBatches: 1 });
  });

  it('counts a batch dropped after an unanswered send as unconfirmed (perhaps stored), not as lost', async () => {
    const sink = new ScriptedSink([
      { kind: 'retry', detail: 'no answer within 20000 ms', unanswered: true },
      ...Array(5).fill({ kind: 'retry', detail: 'down' }),
    ]);
    const { box, counters } = outbox(sink, 2, 1000);
    box.add([batch(1)]);
    expect(await box.flush()).toBe('blocked');
    box.add([batch(2), batch(3)]);
    expect(counters).toMatchObject({ droppedBatches: 0, droppedUnconfirmedBatches: 1, buffered: 2 });
    box.add([batch(4)]);
    expect(counters).toMatchObject({ droppedBatches: 1, droppedUnconfirmedBatches: 1 });
    expect(counters.status()).toMatchObject({ droppedBatches: 1, droppedUnconfirmedBatches: 1 });
  });

  it('drops the oldest beyond its bounds, in batches and in bytes, and counts them', async () => {
    const sink = new ScriptedSink(Array(10).fill({ kind: 'retry', detail: 'down' }));
    const { box, counters } = outbox(sink, 3, 1000);
    box.add([batch(1), batch(2), batch(3), batch(4)]);
    expect(counters).toMatchObject({ buffered: 3, droppedBatches: 1, bufferedBytes: 30 });
    box.add([batch(5, 995)]);
    expect(counters).toMatchObject({ buffered: 1, droppedBatches: 4, bufferedBytes: 995 });
    await box.flush();
    expect(sink.sent).toEqual([5]);
  });

  it('never drops the batch being sent when the buffer overflows meanwhile: it drops the next oldest, counted, and keeps the byte count', async () => {
    const answers: ((o: SendOutcome) => void)[] = [];
    const sent: number[] = [];
    const sink: IngestSink = {
      send: (b) => {
        sent.push(b.seq);
        return new Promise((resolve) => answers.push(resolve));
      },
    };
    const { box, counters } = outbox(sink, 2, 1000);
    box.add([batch(1, 100)]);
    const flushed = box.flush();
    await eventually(() => expect(answers).toHaveLength(1)); // batch 1 is with the sink
    box.add([batch(2, 20), batch(3, 30)]);
    expect(counters).toMatchObject({ buffered: 2, bufferedBytes: 130, droppedBatches: 1 });
    answers[0]({ kind: 'stored' });
    await eventually(() => expect(answers).toHaveLength(2));
    answers[1]({ kind: 'stored' });
    expect(await flushed).toBe('sent');
    expect(sent).toEqual([1, 3]);
    expect(counters).toMatchObject({ batchesSent: 2, bytesSent: 130, buffered: 0, bufferedBytes: 0, droppedBatches: 1 });
  });

  it('applies the bounds again once the batch being sent must wait, dropping it if it is then the oldest beyond them', async () => {
    let answer: ((o: SendOutcome) => void) | undefined;
    const sink: IngestSink = { send: () => new Promise((resolve) => (answer = resolve)) };
    const { box, counters } = outbox(sink, 1, 1000);
    box.add([batch(1)]);
    const flushed = box.flush();
    await eventually(() => expect(answer).toBeDefined());
    box.add([batch(2)]);
    expect(counters).toMatchObject({ buffered: 2, droppedBatches: 0 }); // batch 1 is out, not droppable
    answer?.({ kind: 'retry', status: 503, detail: 'unavailable' });
    expect(await flushed).toBe('blocked');
    expect(counters).toMatchObject({ buffered: 1, bufferedBytes: 10, droppedBatches: 1 });
  });

  it('runs one flush at a time, so a batch is never sent twice at once', async () => {
    let inFlight = 0;
    let most = 0;
    const sink: IngestSink = {
      send: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { kind: 'stored' };
      },
    };
    const { box, counters } = outbox(sink);
    box.add([batch(1), batch(2)]);
    await Promise.all([box.flush(), box.flush(), box.flush()]);
    expect(most).toBe(1);
    expect(counters.batchesSent).toBe(2);
  });
});

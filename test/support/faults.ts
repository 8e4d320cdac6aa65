/**
 * Fault injection into a real AWS SDK client: middleware that runs before the request is built, so the
 * caller's own retry layer (the store's, not the SDK's) sees the fault, and the real server (dynalite) sees
 * what is left. `inside: 'sdk-retries'` places a fault inside the SDK's retry loop instead.
 */
import type { BatchWriteItemCommandInput, BatchWriteItemCommandOutput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HandlerExecutionContext, MiddlewareStack } from '@smithy/types';

let seq = 0;

export interface FailOptions<I> {
  /** Only calls whose input matches fail (and count against `times`). */
  readonly match?: (input: I) => boolean;
  /** `sdk-retries`: each attempt of a call fails in turn, and the SDK's retry strategy sees the errors. */
  readonly inside?: 'sdk-retries';
}

/** The first `times` calls of `command` (e.g. `BatchWriteItemCommand`) throw `error()`. Returns a remover. */
export function failCalls<I extends object, O extends object>(
  client: { readonly middlewareStack: MiddlewareStack<I, O> },
  command: string,
  times: number,
  error: () => Error,
  opts: FailOptions<I> = {},
): () => void {
  const name = `fail-${++seq}`;
  let left = times;
  const fail =
    <A extends { readonly input: I }, R>(next: (args: A) => Promise<R>, context: HandlerExecutionContext) =>
    async (args: A): Promise<R> => {
      if (context.commandName === command && left > 0 && (!opts.match || opts.match(args.input))) {
        left--;
        throw error();
      }
      return next(args);
    };
  // The SDK's retry middleware comes first in `finalizeRequest` (high priority): a fault added there is inside it.
  if (opts.inside === 'sdk-retries') client.middlewareStack.add(fail, { step: 'finalizeRequest', name });
  else client.middlewareStack.add(fail, { step: 'initialize', name });
  return () => client.middlewareStack.remove(name);
}

/**
 * The first `times` BatchWriteItem calls write only their first `keep` items and hand the rest back as
 * `UnprocessedItems`, as DynamoDB does under load.
 */
export function leaveUnprocessed(client: DynamoDBClient, times: number, keep: number): { remove: () => void; handedBack: () => number } {
  const name = `unprocessed-${++seq}`;
  let left = times;
  let handedBack = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'BatchWriteItemCommand' || left <= 0) return next(args);
      left--;
      const input = args.input as BatchWriteItemCommandInput;
      const [table, requests] = Object.entries(input.RequestItems ?? {})[0];
      const sent = requests.slice(0, keep);
      const rest = requests.slice(keep);
      handedBack += rest.length;
      const out = (await next({ ...args, input: { ...input, RequestItems: { [table]: sent } } })) as {
        output: BatchWriteItemCommandOutput;
      };
      if (rest.length) out.output.UnprocessedItems = { [table]: [...(out.output.UnprocessedItems?.[table] ?? []), ...rest] };
      return out as never;
    },
    { step: 'initialize', name },
  );
  return { remove: () => client.middlewareStack.remove(name), handedBack: () => handedBack };
}

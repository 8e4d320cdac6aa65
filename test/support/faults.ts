/**
 * Fault injection into a real AWS SDK client: middleware that runs before the request is built, so the
 * store's own retry layer (not the SDK's) sees the fault, and the real server (dynalite) sees what is left.
 */
import type { BatchWriteItemCommandInput, BatchWriteItemCommandOutput, DynamoDBClient } from '@aws-sdk/client-dynamodb';

let seq = 0;

/** The first `times` calls of `command` (e.g. `BatchWriteItemCommand`) throw `error()`. Returns a remover. */
export function failCalls(client: DynamoDBClient, command: string, times: number, error: () => Error): () => void {
  const name = `fail-${++seq}`;
  let left = times;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && left > 0) {
        left--;
        throw error();
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
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
      const out = (await next({ ...args, input: { ...input, RequestItems: { [table]: sent } } })) as { output: BatchWriteItemCommandOutput };
      if (rest.length) out.output.UnprocessedItems = { [table]: [...(out.output.UnprocessedItems?.[table] ?? []), ...rest] };
      return out as never;
    },
    { step: 'initialize', name },
  );
  return { remove: () => client.middlewareStack.remove(name), handedBack: () => handedBack };
}

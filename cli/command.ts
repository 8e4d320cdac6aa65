/** A `vigil` subcommand: one module each under `cli/commands/`, listed in `cli/main.ts`. */
export interface Command {
  /** Words that select it, e.g. `['scenario', 'check']`. */
  readonly words: readonly string[];
  readonly summary: string;
  /** Full help, printed by `vigil help <command>` and on a usage error. */
  readonly usage: string;
  /** Runs with the arguments after the command's words; resolves to the exit code. */
  run(args: readonly string[], io: CommandIO): Promise<number>;
}

/** Where a command writes; tests capture it. */
export interface CommandIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export const processIO: CommandIO = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
};

/** A usage problem: the command's help is printed with it and the exit code is 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

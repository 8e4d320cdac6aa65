/** The `vigil` command line. Each subcommand is a module in `cli/commands/`, registered here. */
import { processIO, UsageError, type Command, type CommandIO } from './command';
import { agentManifestCommand } from './commands/agent-manifest';
import { localCommand } from './commands/local';
import { queryCommand } from './commands/query';
import { scenarioCheckCommand, scenarioListCommand, scenarioSchemaCommand } from './commands/scenario';
import { silenceCommands } from './commands/silence';

export const COMMANDS: readonly Command[] = [
  localCommand,
  scenarioCheckCommand,
  scenarioListCommand,
  scenarioSchemaCommand,
  queryCommand,
  ...silenceCommands,
  agentManifestCommand,
];

function help(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.words.join(' ').length));
  return [
    'vigil: serverless monitoring for Amazon EKS',
    '',
    'Usage: vigil <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    "Run `vigil help <command>` for a command's options.",
  ].join('\n');
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: readonly string[], io: CommandIO = processIO, commands: readonly Command[] = COMMANDS): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    io.out(help(commands));
    return argv.length === 0 ? 2 : 0;
  }
  const find = (words: readonly string[]) =>
    [...commands].sort((a, b) => b.words.length - a.words.length).find((c) => c.words.every((w, i) => words[i] === w));
  if (argv[0] === 'help') {
    const c = find(argv.slice(1));
    io.out(c ? c.usage : help(commands));
    return c || argv.length === 1 ? 0 : 2;
  }
  const command = find(argv);
  if (!command) {
    io.err(`vigil: unknown command "${argv.join(' ')}"\n\n${help(commands)}`);
    return 2;
  }
  try {
    return await command.run(argv.slice(command.words.length), io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`vigil ${command.words.join(' ')}: ${e.message}\n\n${command.usage}`);
      return 2;
    }
    throw e;
  }
}

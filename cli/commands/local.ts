import type { Command } from '../command';

/** `vigil local`: the whole pipeline on this machine. Placeholder until local mode lands (issue 7). */
export const localCommand: Command = {
  words: ['local'],
  summary: 'run Vigil locally against a simulated cluster (not built yet)',
  usage: 'Usage: vigil local\n\nLocal mode is not built yet: it arrives with the local-mode issue. `npm test` runs what exists.',
  run: async (_args, io) => {
    io.out('vigil local: local mode not built yet. It lands with the local-mode issue; see README.md for what works today.');
    return 0;
  },
};

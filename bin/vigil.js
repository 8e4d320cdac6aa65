#!/usr/bin/env node
// The `vigil` command. It runs the TypeScript sources through tsx (a runtime dependency), so a clone
// works without a build step: `npx vigil …` or `npm run vigil -- …`.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      console.error(`vigil: ${err && err.message ? err.message : err}`);
      process.exit(1);
    },
  );

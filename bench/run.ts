/** `npm run bench`: runs every `bench/*.bench.ts`, prints its figures, writes vigil-out/bench.json. */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import * as fs from 'fs';
import * as path from 'path';
import { costSection } from './cost';
import { formatSection, withinBudget, type BenchSection } from './report';

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  const sections: BenchSection[] = [];
  for (const f of files) {
    const mod = (await import(path.join(__dirname, f))) as { bench: () => Promise<BenchSection | BenchSection[]> };
    const out = await mod.bench();
    for (const s of Array.isArray(out) ? out : [out]) {
      sections.push(s);
      console.log(formatSection(s) + '\n');
    }
  }
  // The cost model is built from the measurements above, so it comes last.
  if (only.length === 0 || only.includes('cost')) {
    const cost = costSection(sections);
    sections.push(cost);
    console.log(formatSection(cost) + '\n');
  }
  const over = sections.flatMap((s) => s.figures.filter((f) => !withinBudget(f)).map((f) => `${s.component}: ${f.name}`));
  const outDir = path.join(__dirname, '..', 'vigil-out');
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'bench.json');
  fs.writeFileSync(file, JSON.stringify({ node: process.version, cpus: require('os').cpus().length, sections }, null, 2));
  console.log(`written: ${path.relative(process.cwd(), file)}`);
  if (over.length) {
    console.log(`over budget: ${over.join('; ')}`);
    return 1;
  }
  console.log('every figure with a budget is within it');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

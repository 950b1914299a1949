// `npm run bench:report -- docs/bench.json docs/BENCHMARKS.md`: rewrites the generated figures block of the document
// from a figures file written by `npm run bench -- --json FILE`.
import { readFileSync, writeFileSync } from 'node:fs';
import { type FiguresFile, withFigures } from './report.js';

const [json = 'docs/bench.json', doc = 'docs/BENCHMARKS.md'] = process.argv.slice(2);
const file = JSON.parse(readFileSync(json, 'utf8')) as FiguresFile;
writeFileSync(doc, withFigures(readFileSync(doc, 'utf8'), file));
console.log(`${doc}: ${file.figures.length} figures from ${json}`);

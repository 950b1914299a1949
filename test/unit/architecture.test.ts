// The areas of shared/ depend one way (README "Architecture"): an import may point only to an area of a lower layer,
// or within its own area. The functions/ adapters reach shared/ only through the composition root and the handlers.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importsOf, violations } from '../support/architecture.js';

function sources(dir: string): Map<string, string> {
  const root = resolve(dir);
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.set(relative(root, p).split('\\').join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return out;
}

describe('import direction', () => {
  it('every import in shared/ points to a lower layer or within its area', () => {
    expect(violations(sources('shared'))).toEqual([]);
  });

  it('shared/ never imports @azure/functions, and only config.ts reads process.env', () => {
    for (const [file, source] of sources('shared')) {
      expect(source, file).not.toMatch(/from ['"]@azure\/functions['"]/);
      if (file !== 'config.ts') expect(source, file).not.toMatch(/process\.env/);
    }
  });

  it('functions/ reaches shared/ through the composition root, handlers and types only', () => {
    for (const [file, source] of sources('functions')) {
      for (const spec of importsOf(source)) {
        if (!spec.startsWith('../shared/')) continue;
        expect(`${file} → ${spec}`).toMatch(
          /→ \.\.\/shared\/(app|config|[a-z]+\/(handlers|health|status|replayRoute|testIntegration|maintenance|deliver|names|callbacks))\.js$/,
        );
      }
    }
  });

  it('catches an upward import, a sideways one, and an unknown area', () => {
    const files = new Map([
      ['config.ts', "import { storage } from './storage/clients.js';"],
      ['delivery/deliver.ts', "import type { IngestDeps } from '../ingest/handlers.js';"],
      ['reliability/index.ts', "import { x } from './circuit.js';\nexport const y = await import('../incidents/poller.js');"],
      ['shiny/new.ts', "import { loadConfig } from '../config.js';"],
    ]);
    expect(violations(files)).toEqual([
      'config.ts (config, layer 1) imports ./storage/clients.js (storage, layer 2)',
      'delivery/deliver.ts (delivery, layer 4) imports ../ingest/handlers.js (ingest, layer 4)',
      'reliability/index.ts (reliability, layer 3) imports ../incidents/poller.js (incidents, layer 6)',
      'shiny/new.ts: area "shiny" is in no layer',
    ]);
  });
});

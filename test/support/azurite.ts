// Per-file Azurite for integration tests: random ports, a temp folder, stopped after the file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type RunningAzurite, startAzurite } from '../../tools/dev/azurite.js';

export function useAzurite(): { current: RunningAzurite } {
  const ref = {} as { current: RunningAzurite };
  beforeAll(async () => {
    ref.current = await startAzurite({ location: mkdtempSync(join(tmpdir(), 'azurite-')) });
  });
  afterAll(async () => {
    await ref.current?.stop();
  });
  return ref;
}

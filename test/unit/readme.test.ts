// The README is the newcomer's manual: every setting the app reads is documented there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../shared/config.js';

const readme = readFileSync('README.md', 'utf8');

describe('README', () => {
  it('documents every setting in the settings table', () => {
    const missing = Object.keys(SETTINGS).filter((name) => !new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`, 'm').test(readme));
    expect(missing).toEqual([]);
  });

  it('gives the two commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
  });
});

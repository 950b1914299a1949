// Bench figures as data: every figure carries its naive baseline and ratio, and docs/BENCHMARKS.md's generated block
// is rewritten from the figures file alone.
import { describe, expect, it } from 'vitest';
import { FIGURES_END, FIGURES_START, type FiguresFile, figure, figures, withFigures } from '../../tools/bench/report.js';

const run: FiguresFile['run'] = {
  date: '2026-01-01T00:00:00.000Z',
  machine: 'test',
  loadAverage: { start: [1, 2, 3], end: [4, 5, 6] },
  seconds: 90,
};

describe('bench figures', () => {
  it('records value, baseline and value ÷ baseline; no baseline, no ratio', () => {
    figures.length = 0;
    figure('messages', 'messages', 5, 1000);
    figure('cpu', 'events/s', 9666.123456);
    expect(figures).toEqual([
      { name: 'messages', unit: 'messages', value: 5, baseline: 1000, ratio: 0.005 },
      { name: 'cpu', unit: 'events/s', value: 9666.12, baseline: null, ratio: null },
    ]);
  });

  it('rewrites only the generated block of the document', () => {
    const doc = `# B\n\nbefore\n${FIGURES_START}\nold table\n${FIGURES_END}\nafter\n`;
    const file: FiguresFile = { figures: [{ name: 'tx per 1,000', unit: 'transactions', value: 12, baseline: 22, ratio: 0.545455 }], run };
    const out = withFigures(doc, file);
    expect(out).not.toContain('old table');
    expect(out).toContain('| tx per 1,000 | 12 | transactions | 22 | 0.545 |');
    expect(out).toContain('load average (1/5/15 min) 1.00 / 2.00 / 3.00 at the start, 4.00 / 5.00 / 6.00 at the end');
    expect(out.startsWith('# B\n\nbefore\n')).toBe(true);
    expect(out.endsWith(`${FIGURES_END}\nafter\n`)).toBe(true);
    expect(withFigures(out, file)).toBe(out);
  });

  it('refuses a document without the block', () => {
    expect(() => withFigures('# no block', { figures: [], run })).toThrow(/figures:start/);
  });
});

// Figures and their printing: percentiles, units, aligned tables, and the checks that make a run fail when a
// figure is absurd (an event lost, a request refused).

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function latencySummary(ms: readonly number[]): { p50: number; p95: number; p99: number; max: number; mean: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length),
  };
}

export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number) => (n < 10 ? `${n.toFixed(2)} ms` : n < 100 ? `${n.toFixed(1)} ms` : `${fmtInt(n)} ms`);
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
export const fmtRate = (n: number, unit = 'events/s') => `${fmtInt(n)} ${unit}`;
export const fmtRatio = (n: number) => `${n >= 10 ? n.toFixed(0) : n.toFixed(1)}×`;

/** Prints rows as an aligned text table (first column left, the others right-aligned). */
export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

/** Problems found during the run: any makes the process exit non-zero after the summary. */
export const problems: string[] = [];
export function check(ok: boolean, message: string): void {
  if (!ok) {
    problems.push(message);
    console.log(`  !! ${message}`);
  }
}

export const summary: string[] = [];

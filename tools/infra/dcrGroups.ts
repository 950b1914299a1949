// Which Data Collection Rule takes which stream. A DCR holds at most 10 stream declarations and 10 data flows
// (Azure Monitor service limits), so the catalog's tables span several rules. The grouping is a pure function of the
// catalog order, so it is deterministic and appending a type to the catalog never moves an existing stream.
import { DCR_MAX_STREAMS } from '../../shared/config.js';
import type { CatalogView, ViewTable } from './catalogView.js';

/**
 * Sources that get rules of their own. Wallarm sends the volume (23 legacy tables + its single table), so it is kept
 * apart from the bridge's own health table, Defender for Cloud Apps and generic webhooks: DCR throttling (12,000
 * calls and 2 GB per minute per rule) then never starves the health record.
 */
export const DEDICATED_SOURCES: readonly string[] = ['wallarm'];

/** The pool every other source shares. */
export const SHARED_GROUP = 'core';

export interface RuleGroup {
  /** Short, stable name: `<group>-<n>`, n from 1; the DCR resource is named `dcr-<token>-<name>`. */
  readonly name: string;
  readonly tables: readonly ViewTable[];
}

/** Fills rules in catalog order, group by group, at most `max` streams each. */
export function groupStreams(view: CatalogView, max: number = DCR_MAX_STREAMS): RuleGroup[] {
  if (!Number.isInteger(max) || max < 1) throw new Error(`max streams per rule must be a positive integer, got ${max}`);
  const byGroup = new Map<string, ViewTable[]>();
  for (const t of view.tables) {
    const group = DEDICATED_SOURCES.includes(t.source) ? t.source : SHARED_GROUP;
    byGroup.set(group, [...(byGroup.get(group) ?? []), t]);
  }
  const rules: RuleGroup[] = [];
  for (const [group, tables] of byGroup) {
    for (let i = 0; i < tables.length; i += max) rules.push({ name: `${group}-${i / max + 1}`, tables: tables.slice(i, i + max) });
  }
  return rules;
}

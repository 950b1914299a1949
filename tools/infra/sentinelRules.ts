// Analytic rule templates (infra/sentinel/analytic-rules.json) → deployable Scheduled rule properties. A template names
// the Wallarm event types it reads; the generator turns them into a `WallarmEvents` let statement over the tables those
// types land in (catalog, per-type mode) plus the single table, filtered by EventType, so one query serves both table
// modes; in both, RawData is dynamic (the single table's JSON string parsed). The single table's name is a deployment parameter: the query carries WALLARM_TABLE_TOKEN, which the Bicep
// replaces.
import { z } from 'zod';
import { INCIDENT_SEVERITIES } from '../../shared/config.js';
import type { CatalogView } from './catalogView.js';

export const WALLARM_TABLE_TOKEN = '__WALLARM_TABLE__';

const duration = z.string().regex(/^PT(\d+H)?(\d+M)?$/, 'an ISO 8601 duration like PT15M or PT1H');

const entityMapping = z.object({
  entityType: z.string().min(1),
  fieldMappings: z.array(z.object({ identifier: z.string().min(1), columnName: z.string().min(1) })).min(1),
});

export const ruleTemplateSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, 'lowercase, digits and -'),
  displayName: z.string().min(1).max(256),
  description: z.string().min(1).max(5000),
  severity: z.enum(INCIDENT_SEVERITIES),
  wallarmTypes: z.array(z.string().regex(/^[a-z0-9_]+$/)).min(1),
  /** KQL after the generated `let WallarmEvents = …;`, one array entry per line. */
  query: z.array(z.string()).min(1),
  queryFrequency: duration,
  queryPeriod: duration,
  triggerThreshold: z.number().int().min(0),
  tactics: z.array(z.string().min(1)),
  techniques: z.array(z.string().regex(/^T\d{4}$/)),
  entityMappings: z.array(entityMapping).default([]),
  customDetails: z.record(z.string().regex(/^[A-Za-z0-9]{1,20}$/), z.string().min(1)).default({}),
  alertDisplayNameFormat: z.string().optional(),
});

export const ruleTemplatesSchema = z.object({ rules: z.array(ruleTemplateSchema).min(1) });
export type RuleTemplate = z.output<typeof ruleTemplateSchema>;

export interface GeneratedRule {
  readonly id: string;
  /** The tables the query reads (per-type tables by name, the single table as the token). */
  readonly tables: readonly string[];
  /** Types of the template that have no per-type table: they are found in the single table only. */
  readonly singleTableOnly: readonly string[];
  /** Microsoft.SecurityInsights/alertRules properties (kind Scheduled), ready for the Bicep. */
  readonly properties: Record<string, unknown>;
}

const kqlString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function expandRule(template: RuleTemplate, view: CatalogView): GeneratedRule {
  const perType = template.wallarmTypes.map((t) => view.wallarmTypes.get(t)).filter((t): t is string => t !== undefined);
  const tables = [...new Set([...perType, WALLARM_TABLE_TOKEN])];
  const singleTableOnly = template.wallarmTypes.filter((t) => !view.wallarmTypes.has(t));
  // Per-type tables keep RawData as dynamic, the single table as a JSON string (Wallarm's own integration): a union of
  // the two would split it into RawData_dynamic and RawData_string, so the single table's leg parses it first.
  const legs = tables.map((t) => (t === WALLARM_TABLE_TOKEN ? `(${t} | extend RawData = parse_json(RawData))` : t));
  const query = [
    `let WallarmEvents = union isfuzzy=true ${legs.join(', ')}`,
    `| where EventType in (${template.wallarmTypes.map(kqlString).join(', ')});`,
    ...template.query,
  ].join('\n');
  const properties: Record<string, unknown> = {
    displayName: template.displayName,
    description: template.description,
    severity: template.severity,
    enabled: true,
    query,
    queryFrequency: template.queryFrequency,
    queryPeriod: template.queryPeriod,
    triggerOperator: 'GreaterThan',
    triggerThreshold: template.triggerThreshold,
    suppressionDuration: 'PT1H',
    suppressionEnabled: false,
    tactics: template.tactics,
    techniques: template.techniques,
    eventGroupingSettings: { aggregationKind: 'AlertPerResult' },
    incidentConfiguration: {
      createIncident: true,
      groupingConfiguration: {
        enabled: true,
        reopenClosedIncident: false,
        lookbackDuration: 'PT5H',
        matchingMethod: 'AllEntities',
        groupByEntities: [],
        groupByAlertDetails: [],
        groupByCustomDetails: [],
      },
    },
    ...(template.entityMappings.length ? { entityMappings: template.entityMappings } : {}),
    ...(Object.keys(template.customDetails).length ? { customDetails: template.customDetails } : {}),
    ...(template.alertDisplayNameFormat ? { alertDetailsOverride: { alertDisplayNameFormat: template.alertDisplayNameFormat } } : {}),
  };
  return { id: template.id, tables, singleTableOnly, properties };
}

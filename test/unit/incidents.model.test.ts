// Names, keys, the PUT body and the queue message of the incident flow; the emulator's OData subset.
import { describe, expect, it } from 'vitest';
import { scopeOf } from '../../shared/azure/credential.js';
import { decodeMessage, deliveryIdOf, encodeMessage, newMessage } from '../../shared/incidents/messages.js';
import { type ArmIncidentProperties, writableProperties } from '../../shared/incidents/sentinelClient.js';
import { forwardCommentId, withLabel } from '../../shared/incidents/tagging.js';
import { incidentArmId, parseIncidentRef, stableGuid, workspaceArmId, workspaceKey } from '../../shared/incidents/workspaces.js';
import { evaluate, parseFilter, parseOrderBy } from '../../tools/emulators/sentinel.js';

const ws = { subscriptionId: 'D0CFE6B2-9AC0-4464-9919-DCCAEE2E48C0', resourceGroup: 'My-RG', workspaceName: 'SecOps' };
const name = '73e01a99-5cd7-4139-a149-9f2736ff2ab5';

describe('workspaces and incident references', () => {
  it('builds ARM ids', () => {
    expect(workspaceArmId(ws)).toBe(
      `/subscriptions/${ws.subscriptionId}/resourceGroups/My-RG/providers/Microsoft.OperationalInsights/workspaces/SecOps`,
    );
    expect(incidentArmId(ws, name)).toBe(`${workspaceArmId(ws)}/providers/Microsoft.SecurityInsights/incidents/${name}`);
  });
  it('partition keys are case-insensitive and hold no characters Table Storage refuses', () => {
    expect(workspaceKey(ws)).toBe(workspaceKey({ ...ws, resourceGroup: 'my-rg', workspaceName: 'secops' }));
    expect(workspaceKey(ws)).not.toMatch(/[/\\#?]/);
    expect(workspaceKey(ws)).not.toBe(workspaceKey({ ...ws, workspaceName: 'other' }));
  });
  it('parses a name or an ARM id (any case), and refuses anything else', () => {
    expect(parseIncidentRef(name)).toEqual({ name });
    expect(
      parseIncidentRef(
        ` ${incidentArmId(ws, name).replace('/providers/Microsoft.SecurityInsights/incidents/', '/providers/microsoft.securityinsights/Incidents/')} `,
      ),
    ).toEqual({
      workspace: ws,
      name,
    });
    expect(parseIncidentRef('../../etc/passwd')).toBeUndefined();
    expect(parseIncidentRef('a b')).toBeUndefined();
    expect(parseIncidentRef('')).toBeUndefined();
  });
  it('stable GUIDs are GUID-shaped and deterministic', () => {
    const a = stableGuid('x', 'y');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stableGuid('x', 'y')).toBe(a);
    expect(stableGuid('xy')).not.toBe(a);
    expect(forwardCommentId(name, 'created', 'ops')).toBe(forwardCommentId(name.toUpperCase(), 'created', 'ops'));
    expect(forwardCommentId(name, 'created', 'ops')).not.toBe(forwardCommentId(name, 'created', 'pager'));
  });
  it('uses the cloud of the endpoint as the token scope, management.azure.com for the local emulator', () => {
    expect(scopeOf('https://management.azure.com')).toBe('https://management.azure.com/.default');
    expect(scopeOf('https://management.usgovcloudapi.net/')).toBe('https://management.usgovcloudapi.net/.default');
  });
});

describe('PUT body', () => {
  const read = {
    title: 'T',
    severity: 'High',
    status: 'New',
    description: 'd',
    owner: { objectId: 'o', email: 'e@x', assignedTo: 'A', userPrincipalName: 'u@x' },
    labels: [
      { labelName: 'auto', labelType: 'AutoAssigned' },
      { labelName: 'mine', labelType: 'User' },
    ],
    createdTimeUtc: '2026-01-01T00:00:00Z',
    lastModifiedTimeUtc: '2026-01-01T00:00:00Z',
    incidentNumber: 7,
    incidentUrl: 'https://portal',
    additionalData: { alertsCount: 1 },
    relatedAnalyticRuleIds: ['r'],
    providerName: 'Azure Sentinel',
    providerIncidentId: '7',
    firstActivityTimeUtc: '2026-01-01T00:00:00Z',
    someNewerField: { kept: true },
    classificationComment: null,
  } as unknown as ArmIncidentProperties;
  it('keeps every writable field (also unknown newer ones) and drops read-only ones and labelType', () => {
    expect(writableProperties(read)).toEqual({
      title: 'T',
      severity: 'High',
      status: 'New',
      description: 'd',
      owner: read.owner,
      labels: [{ labelName: 'auto' }, { labelName: 'mine' }],
      firstActivityTimeUtc: '2026-01-01T00:00:00Z',
      someNewerField: { kept: true },
    });
  });
  it('adds the label once, keeping existing labels', () => {
    const next = withLabel(read, 'SentinelBridge');
    expect(next?.labels).toEqual([{ labelName: 'auto' }, { labelName: 'mine' }, { labelName: 'SentinelBridge' }]);
    expect(withLabel({ ...read, labels: [{ labelName: 'sentinelbridge', labelType: 'User' }] }, 'SentinelBridge')).toBeUndefined();
    expect(withLabel({ title: 'T', severity: 'Low', status: 'New' }, 'x')?.labels).toEqual([{ labelName: 'x' }]);
  });
});

describe('queue message', () => {
  const at = new Date('2026-03-10T00:00:00Z');
  it('delivery ids are stable per workspace, incident, event and destination, and fit webhook-id', () => {
    const id = deliveryIdOf(ws, name, 'created', 'ops');
    expect(id).toMatch(/^inc_[0-9a-f]{32}$/);
    expect(deliveryIdOf({ ...ws, workspaceName: 'secops' }, name.toUpperCase(), 'created', 'ops')).toBe(id);
    expect(deliveryIdOf(ws, name, 'closed', 'ops')).not.toBe(id);
    expect(deliveryIdOf(ws, name, 'created', 'pager')).not.toBe(id);
  });
  it('round-trips as JSON text, as the parsed object the host hands over, and as base64', () => {
    const m = newMessage(ws, name, 'created', 'ops', at);
    const text = encodeMessage(m);
    expect(JSON.parse(text)).toEqual(m);
    expect(decodeMessage(text)).toEqual(m);
    expect(decodeMessage(JSON.parse(text))).toEqual(m);
    expect(decodeMessage(Buffer.from(text).toString('base64'))).toEqual(m);
    expect(Buffer.byteLength(text)).toBeLessThan(1024);
  });
  it('names what is wrong with a bad message', () => {
    expect(decodeMessage('not json')).toEqual({ error: expect.stringMatching(/neither JSON/) });
    expect(decodeMessage({ ...newMessage(ws, name, 'created', 'ops', at), event: 'updated' })).toEqual({
      error: expect.stringMatching(/^invalid incident message: event/),
    });
  });
});

describe('emulator OData subset', () => {
  const doc = {
    name: 'a',
    properties: {
      status: 'New',
      severity: 'High',
      createdTimeUtc: '2026-03-10T10:00:00.123Z',
      incidentNumber: 5,
      owner: { email: "o'b@x" },
    },
  };
  it.each([
    ["properties/status eq 'New'", true],
    ["properties/status eq 'new'", false],
    ["properties/status ne 'Closed' and properties/severity eq 'High'", true],
    ["(properties/severity eq 'Low' or properties/severity eq 'High') and properties/status eq 'New'", true],
    ["properties/severity eq 'Low' or properties/severity eq 'Medium'", false],
    ['properties/createdTimeUtc ge 2026-03-10T10:00:00Z', true],
    ['properties/createdTimeUtc ge 2026-03-10T10:00:01Z', false],
    ['properties/createdTimeUtc lt 2026-03-10T12:00:00+02:00', false],
    ['properties/incidentNumber gt 4', true],
    ["not (properties/status eq 'New')", false],
    ["properties/owner/email eq 'o''b@x'", true],
    ['properties/classification eq null', true],
  ])('%s → %s', (filter, expected) => {
    expect(evaluate(parseFilter(filter), doc)).toBe(expected);
  });
  it.each([
    "properties/labels/any(l: l/labelName eq 'x')",
    "properties/status eq 'New",
    'properties/status',
    "properties/status like 'N%'",
    '(a eq 1',
  ])('refuses %s', (filter) => {
    expect(() => parseFilter(filter)).toThrow();
  });
  it('parses $orderby', () => {
    expect(parseOrderBy('properties/createdTimeUtc desc, name')).toEqual([
      { path: ['properties', 'createdTimeUtc'], desc: true },
      { path: ['name'], desc: false },
    ]);
    expect(() => parseOrderBy('properties/createdTimeUtc sideways')).toThrow();
  });
});

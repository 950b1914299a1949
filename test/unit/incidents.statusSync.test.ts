import { describe, expect, it } from 'vitest';
import { secretMatches } from '../../shared/callbacks/secrets.js';
import { HttpError } from '../../shared/http.js';
import { changeComment } from '../../shared/incidents/callbackActions.js';
import { acknowledged, closedWith, ownerInfo } from '../../shared/incidents/incidentWriter.js';
import { parseStatusSyncBody, statusEvent } from '../../shared/incidents/statusSync.js';

const body400 = (text: string) => {
  try {
    parseStatusSyncBody(text);
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(400);
    return (e as HttpError).message;
  }
  throw new Error('expected a 400');
};

describe('status sync body', () => {
  it('accepts the documented shape', () => {
    expect(
      parseStatusSyncBody(
        '{"incidentId":"abc","action":"close","classification":"FalsePositive","classificationReason":"InaccurateData","comment":"noise"}',
      ),
    ).toEqual({
      incidentId: 'abc',
      action: 'close',
      classification: 'FalsePositive',
      classificationReason: 'InaccurateData',
      comment: 'noise',
    });
  });
  it.each([
    ['not json', /^body must be a JSON object/],
    ['[]', /^body must be a JSON object/],
    ['{"action":"close"}', /^incidentId: required/],
    ['{"incidentId":"  ","action":"close"}', /^incidentId: must not be empty/],
    ['{"incidentId":"a"}', /^action: must be "acknowledge" or "close"/],
    ['{"incidentId":"a","action":"resolve"}', /^action: must be "acknowledge" or "close"/],
    ['{"incidentId":"a","action":"close","classification":"Benign"}', /^classification: must be one of Undetermined, TruePositive/],
    ['{"incidentId":"a","action":"close","classificationReason":"Because"}', /^classificationReason: must be one of/],
    [
      '{"incidentId":"a","action":"close","classification":"TruePositive","classificationReason":"InaccurateData"}',
      /^classificationReason: InaccurateData does not go with classification TruePositive/,
    ],
    [
      '{"incidentId":"a","action":"close","classificationReason":"SuspiciousActivity"}',
      /^classificationReason: .*Undetermined \(the default/,
    ],
    ['{"incidentId":"a","action":"acknowledge","owner":5}', /^owner: must be a string/],
    [`{"incidentId":"a","action":"close","comment":"${'x'.repeat(4001)}"}`, /^comment: at most 4000 characters/],
  ])('%s → 400 naming the field', (text, message) => {
    expect(body400(text)).toMatch(message);
  });
});

describe('secret comparison', () => {
  it('matches only the exact secret, whatever the lengths', () => {
    expect(secretMatches('0123456789abcdef', '0123456789abcdef')).toBe(true);
    expect(secretMatches('0123456789abcdeF', '0123456789abcdef')).toBe(false);
    expect(secretMatches('0123456789abcdef0', '0123456789abcdef')).toBe(false);
    expect(secretMatches('', '0123456789abcdef')).toBe(false);
    expect(secretMatches(null, '0123456789abcdef')).toBe(false);
  });
});

describe('owner and status changes', () => {
  const base = { title: 'T', severity: 'High', status: 'New', labels: [{ labelName: 'x' }], description: 'keep me' };
  it('maps an owner to what Sentinel takes', () => {
    expect(ownerInfo('2046feea-040d-4a46-9e2b-91c2941bfa70')).toEqual({ objectId: '2046feea-040d-4a46-9e2b-91c2941bfa70' });
    expect(ownerInfo('jane@contoso.com')).toEqual({ userPrincipalName: 'jane@contoso.com', email: 'jane@contoso.com' });
    expect(ownerInfo('Jane Doe')).toEqual({ assignedTo: 'Jane Doe' });
  });
  it('acknowledge sets owner and Active and keeps everything else; no write when nothing changes', () => {
    expect(acknowledged(base, 'jane@contoso.com')).toEqual({
      ...base,
      status: 'Active',
      owner: { userPrincipalName: 'jane@contoso.com', email: 'jane@contoso.com' },
    });
    expect(acknowledged({ ...base, status: 'Active' }, undefined)).toBeUndefined();
  });
  it('close sets Closed, classification (default), reason and comment', () => {
    expect(
      closedWith(
        { ...base, classificationReason: 'InaccurateData' },
        { classification: 'Undetermined', comment: 'Closed from ops through Sentinel Bridge' },
      ),
    ).toEqual({
      ...base,
      status: 'Closed',
      classification: 'Undetermined',
      classificationComment: 'Closed from ops through Sentinel Bridge',
    });
    expect(closedWith(base, { classification: 'TruePositive', reason: 'SuspiciousActivity', comment: 'done' })).toMatchObject({
      status: 'Closed',
      classification: 'TruePositive',
      classificationReason: 'SuspiciousActivity',
      classificationComment: 'done',
    });
  });
  it('comments name the destination and what happened', () => {
    expect(changeComment('ops', statusEvent({ incidentId: 'a', action: 'acknowledge', owner: 'jane' }))).toBe(
      'Sentinel Bridge: acknowledged in ops by jane; status set to Active.',
    );
    expect(
      changeComment('ops', statusEvent({ incidentId: 'a', action: 'close', comment: 'noise' }), {
        id: 'a',
        status: 'Closed',
        classification: 'FalsePositive',
        classificationReason: 'InaccurateData',
      }),
    ).toBe('Sentinel Bridge: closed in ops as FalsePositive (InaccurateData). Comment: noise');
    expect(changeComment('ops', { eventId: 'e', action: 'note', note: 'looking', user: { email: 'jo@contoso.com' } })).toBe(
      'Sentinel Bridge: note from jo@contoso.com in ops: looking',
    );
  });
});

// Our Slack buttons' action_ids and what each means: shared by the message (shared/destinations/slack.ts) and the
// callback parser (./slack.ts). Block Kit limits: action_id ≤ 255 characters, button value ≤ 2,000.
import type { Classification, ClassificationReason } from '../config.js';

/** Block Kit: a button value holds at most 2,000 characters. */
export const BUTTON_VALUE_MAX = 2000;

const PREFIX = 'sentinelbridge.';
export const ACKNOWLEDGE_ACTION_ID = `${PREFIX}ack`;
/** The classifications our "Close as …" buttons offer, with the reason each implies (statusSync's pairs). */
export const CLOSE_CLASSIFICATIONS = ['TruePositive', 'FalsePositive', 'BenignPositive'] as const satisfies readonly Classification[];
export type CloseClassification = (typeof CLOSE_CLASSIFICATIONS)[number];
/** FalsePositive pairs with two reasons; the button cannot tell which, so it names none. */
export const CLOSE_REASON: Record<CloseClassification, ClassificationReason | undefined> = {
  TruePositive: 'SuspiciousActivity',
  BenignPositive: 'SuspiciousButExpected',
  FalsePositive: undefined,
};
export const closeActionId = (classification: CloseClassification) => `${PREFIX}close.${classification}`;

/** A person as the vendor names them; which fields are present depends on the vendor. */
export interface CallbackUser {
  name?: string;
  email?: string;
  id?: string;
}

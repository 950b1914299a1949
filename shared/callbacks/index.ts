// The callback parser for a destination type. Teams (Workflows) cannot call back: it has none, and the route answers
// that destination with a clear 4xx.
import type { DestinationType } from '../destinations/index.js';
import { parsePagerDutyCallback } from './pagerduty.js';
import { parseSignl4Callback } from './signl4.js';
import { parseSlackCallback } from './slack.js';
import type { CallbackInput, CallbackResult } from './types.js';
import { parseWebhookCallback } from './webhook.js';

export type CallbackParser = (input: CallbackInput) => CallbackResult;

/** Every destination type is listed, so a new type must decide whether it can call back. */
const PARSERS: { readonly [T in DestinationType]: CallbackParser | undefined } = {
  signl4: parseSignl4Callback,
  pagerduty: parsePagerDutyCallback,
  slack: parseSlackCallback,
  webhook: parseWebhookCallback,
  teams: undefined,
};

/** The parser for this destination type, or undefined when the type cannot call back (teams). */
export function callbackParserFor(type: DestinationType): CallbackParser | undefined {
  return Object.hasOwn(PARSERS, type) ? PARSERS[type] : undefined;
}

export type * from './types.js';
export { CALLBACK_BODY_MAX_BYTES } from './types.js';

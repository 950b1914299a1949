// Entry point for the Azure Functions host: the one app of the process, every function registered over it, and the
// process's telemetry (Application Insights through OpenTelemetry, when configured: functions/telemetry.ts).
import { app as host } from '@azure/functions';
import { functions } from './all.js';
import { registerFunctions } from './register.js';
import { hostTelemetry } from './telemetry.js';

registerFunctions(host, functions, undefined, (config) => hostTelemetry(host, config));

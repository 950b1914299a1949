// Entry point for the Azure Functions host: the one app of the process, every function registered over it, and the
// process's telemetry (Application Insights through OpenTelemetry, when configured: functions/telemetry.ts).
import { app as host } from '@azure/functions';
import { functions } from './all.js';
import { registerFunctions } from './register.js';
import { hostTelemetry } from './telemetry.js';

// Request bodies reach the handlers as streams (shared/http.ts readBody reads them chunk by chunk against the body
// limit and the in-flight budget) instead of being buffered and copied by the worker first: Functions host ≥ 4.28,
// @azure/functions ≥ 4.3 (https://learn.microsoft.com/azure/azure-functions/node-http-stream).
host.setup({ enableHttpStream: true });
registerFunctions(host, functions, undefined, (config) => hostTelemetry(host, config));

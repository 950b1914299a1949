// Function definitions as plain objects: functions/index.ts registers them with the Functions host, and the
// local host (tools/dev) runs the very same objects. Each handler gets the app (shared/app.ts) its host built.
import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import type { App } from '../shared/app.js';

export interface HttpFunction {
  kind: 'http';
  name: string;
  route: string;
  methods: ('GET' | 'POST' | 'PUT' | 'DELETE')[];
  authLevel: 'anonymous' | 'function' | 'admin';
  handler(app: App, request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit>;
}

export interface QueueFunction {
  kind: 'queue';
  name: string;
  queueName: string;
  handler(app: App, message: unknown, context: InvocationContext): Promise<void>;
}

export interface TimerFunction {
  kind: 'timer';
  name: string;
  /** NCRONTAB (six fields) or a %SETTING% binding expression. */
  schedule: string;
  handler(app: App, timer: Timer, context: InvocationContext): Promise<void>;
}

export type FunctionDefinition = HttpFunction | QueueFunction | TimerFunction;

// Entry point for the Azure Functions host: the one app of the process, every function registered over it.
import { app as host } from '@azure/functions';
import { functions } from './all.js';
import { registerFunctions } from './register.js';

registerFunctions(host, functions);

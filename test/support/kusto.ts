// Microsoft's KQL parser for tests: diagnostics, the value each `let` statement binds, the text after them
// (tools/emulators/kqlText.ts, which the Log Analytics query emulator uses too).
export { type ParsedKql, parseKql } from '../../tools/emulators/kqlText.js';

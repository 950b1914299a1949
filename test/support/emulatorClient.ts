// The tests call the emulators with the same client as the bench and the demo.
export { type EmulatorAnswer as EmulatorCall, emulatorCall } from '../../tools/emulators/client.js';

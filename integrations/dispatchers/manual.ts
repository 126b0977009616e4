// Plugin `manual`: for a business with no system and no mailbox we use. Nothing leaves the
// service; ops staff accept, decline and enter tracking for it from the ops API.
import type { DispatcherPlugin } from '../../domain/shipments/dispatcher.js';
import { unknownKeys } from './settings.js';

export function manualDispatcher(): DispatcherPlugin {
  return {
    name: 'manual',
    validateSettings: (settings) => unknownKeys(settings, []),
    async send() {
      return { detail: 'waiting for ops to answer for the business' };
    },
  };
}

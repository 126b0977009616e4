// The dispatcher port: how a shipment reaches the business that supplies it. The core
// knows only this interface; each plugin (integrations/dispatchers/) is one module,
// registered by name in integrations/dispatchers/registry.ts (a microkernel).

/** A setting a plugin refused, named as the admin API names it (e.g. `dispatcher.settings.url`). */
export type SettingProblem = { field: string; message: string };

/** What a business is told about one shipment. */
export type ShipmentMessage = {
  /** dispatch: a new shipment; reminder: no answer yet; stop: the order was cancelled, do not ship. */
  kind: 'dispatch' | 'reminder' | 'stop';
  shipmentId: string;
  orderId: string;
  lines: { sku: string; name: string; quantity: number }[];
  amountMinor: number;
  currency: string;
  /** Where the business answers (POST a signed event; docs/fulfilment.md). */
  eventsUrl: string;
  /** Signed one-click links for a person (the email plugin puts them in the mail): each opens a page that records the answer. */
  answerLinks: { accept: string; decline: string };
};

/** The business as its plugin sees it: `settings` were accepted by the plugin's validateSettings. */
export type DispatchTarget = { id: string; name: string; contactEmail: string; secret: string; settings: Record<string, unknown> };

/** A failure worth retrying (timeout, 5xx, SMTP 4xx): the dispatch job retries with back-off. */
export class TransientDispatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientDispatchError';
  }
}

/** A refusal no retry can change (a 4xx, a bad address): the job ends in an incident for ops. */
export class PermanentDispatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDispatchError';
  }
}

export interface DispatcherPlugin {
  /** The name a business's `dispatcher.plugin` refers to. */
  readonly name: string;
  /** Problems with a business's settings for this plugin, each naming its field; [] when usable. */
  validateSettings(settings: Record<string, unknown>): SettingProblem[];
  /**
   * Tells the business. At least once: the same (shipmentId, kind) may be sent again after a
   * crash, so every message carries a stable id the business can fold duplicates by.
   * Throws TransientDispatchError or PermanentDispatchError.
   */
  send(message: ShipmentMessage, business: DispatchTarget): Promise<{ detail: string }>;
}

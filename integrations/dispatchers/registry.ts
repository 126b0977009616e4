// The dispatcher plugins by name (the microkernel's registry). A new plugin is one module
// beside this one and one line in PLUGINS; nothing else names plugins.
import type { DispatcherPlugin, SettingProblem } from '../../domain/shipments/dispatcher.js';
import type { PostJson } from '../http/post-json.js';
import { emailDispatcher } from './email.js';
import { manualDispatcher } from './manual.js';
import { isPlainObject, shown } from './settings.js';
import { webhookDispatcher } from './webhook.js';

export type DispatcherRegistryOptions = {
  /** SMTP_URL; without it the email plugin fails every send for good. */
  smtpUrl?: string;
  /** The From of the email plugin's mails: `Name <address>`. */
  from: string;
  /** The webhook plugin's POST (default: integrations/http/post-json.ts's postJson). */
  postJson?: PostJson;
};

export type DispatcherRegistry = {
  get(name: string): DispatcherPlugin | undefined;
  names(): string[];
  /** Problems with a business's `dispatcher` ({plugin, settings}), fields named as the admin API names them; [] when usable. Never throws. */
  validate(plugin: string, settings: unknown): SettingProblem[];
};

const PLUGINS: ((o: DispatcherRegistryOptions) => DispatcherPlugin)[] = [
  (o) => webhookDispatcher({ postJson: o.postJson }),
  (o) => emailDispatcher({ smtpUrl: o.smtpUrl, from: o.from }),
  () => manualDispatcher(),
];

export function createDispatcherRegistry(options: DispatcherRegistryOptions): DispatcherRegistry {
  // A Map, not an object: a name such as `__proto__` or `constructor` must find nothing.
  const plugins = new Map<string, DispatcherPlugin>();
  for (const make of PLUGINS) {
    const plugin = make(options);
    if (plugins.has(plugin.name)) throw new Error(`two dispatcher plugins are named ${plugin.name}`);
    plugins.set(plugin.name, plugin);
  }
  const names = () => [...plugins.keys()];

  return {
    get: (name) => plugins.get(name),
    names,
    validate(name, settings) {
      const plugin = typeof name === 'string' ? plugins.get(name) : undefined;
      if (!plugin) return [{ field: 'dispatcher.plugin', message: `unknown dispatcher plugin ${shown(name)}; known: ${names().join(', ')}` }];
      if (!isPlainObject(settings)) return [{ field: 'dispatcher.settings', message: `must be an object of ${plugin.name}'s settings` }];
      let problems: SettingProblem[];
      try {
        problems = plugin.validateSettings(settings);
      } catch (err) {
        // A plugin's bug must come back as a refusal, not as a 500 from the admin API.
        problems = [{ field: '', message: `could not be checked: ${(err as Error)?.message ?? String(err)}` }];
      }
      return problems.map((p) => ({ field: p.field ? `dispatcher.settings.${p.field}` : 'dispatcher.settings', message: p.message }));
    },
  };
}

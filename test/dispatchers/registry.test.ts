// The dispatcher registry: plugins by name and the validation the admin API answers with.
// Pure (no send happens here), so no stand-in for a business or a mail provider is needed;
// fast-check throws arbitrary and hostile JSON at validate.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { createDispatcherRegistry } from '../../integrations/dispatchers/registry.js';

const registry = createDispatcherRegistry({ from: 'order-saga <dispatch@shop.test>' });

describe('dispatcher registry: plugins by name', () => {
  test('names lists webhook, email and manual, and get finds each by its name', () => {
    expect(registry.names()).toEqual(['webhook', 'email', 'manual']);
    for (const name of registry.names()) expect(registry.get(name)?.name).toBe(name);
  });

  test('a name inherited from Object (__proto__, constructor, toString) finds no plugin', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) expect(registry.get(name)).toBeUndefined();
  });
});

describe('dispatcher registry: validate', () => {
  test('usable settings have no problems', () => {
    expect(registry.validate('webhook', { url: 'https://kettles.test/hooks', timeoutMs: 2000 })).toEqual([]);
    expect(registry.validate('email', {})).toEqual([]);
    expect(registry.validate('email', { to: 'orders@kettles.test' })).toEqual([]);
    expect(registry.validate('manual', {})).toEqual([]);
  });

  test('an unknown plugin is a problem on dispatcher.plugin listing the known ones', () => {
    for (const name of ['fax', '', 'Webhook', '__proto__', 'constructor'])
      expect(registry.validate(name, {})).toEqual([{ field: 'dispatcher.plugin', message: expect.stringContaining('known: webhook, email, manual') }]);
  });

  test('settings that are not a plain object are a problem on dispatcher.settings', () => {
    for (const settings of [null, undefined, [], [{ url: 'https://kettles.test/' }], 'https://kettles.test/', 42, true, new Date(0)])
      expect(registry.validate('webhook', settings)).toEqual([{ field: 'dispatcher.settings', message: expect.any(String) }]);
  });

  test("a plugin's problems come back prefixed dispatcher.settings.: a bad or missing webhook url", () => {
    expect(registry.validate('webhook', { url: 'ftp://kettles.test/' })).toEqual([
      { field: 'dispatcher.settings.url', message: 'must be an http or https URL' },
    ]);
    expect(registry.validate('webhook', {})).toEqual([{ field: 'dispatcher.settings.url', message: expect.stringMatching(/^is required/) }]);
    expect(registry.validate('webhook', { url: 'not a url' })).toEqual([{ field: 'dispatcher.settings.url', message: expect.any(String) }]);
  });

  test('an unknown setting key is a problem on dispatcher.settings.<key>, for every plugin', () => {
    expect(registry.validate('webhook', { url: 'https://kettles.test/', secret: 's' })).toEqual([
      { field: 'dispatcher.settings.secret', message: expect.stringContaining('known: url, timeoutMs') },
    ]);
    expect(registry.validate('email', { cc: 'boss@kettles.test' })).toEqual([{ field: 'dispatcher.settings.cc', message: expect.any(String) }]);
    expect(registry.validate('manual', { note: 'call first' })).toEqual([
      { field: 'dispatcher.settings.note', message: expect.stringContaining('known: none') },
    ]);
  });

  test('hostile JSON (a __proto__ key, NUL, huge numbers, a 100 000-character key) comes back as problems, cut short', () => {
    const long = 'k'.repeat(100_000);
    const cases: [string, unknown][] = [
      ['webhook', JSON.parse('{"__proto__": {"url": "https://kettles.test/"}}')],
      ['webhook', { url: 'http://kettles.test/\u0000' }],
      ['webhook', { url: 'https://kettles.test/', timeoutMs: JSON.parse('1e999') }],
      ['email', { to: 'a\u0000@kettles.test' }],
      ['manual', { [long]: long }],
      [long, {}],
    ];
    for (const [plugin, settings] of cases) {
      const problems = registry.validate(plugin, settings);
      expect(problems.length).toBeGreaterThan(0);
      for (const p of problems) expect(p.field.length + p.message.length).toBeLessThan(400);
    }
  });
});

describe('dispatcher registry: validate never throws', () => {
  // Strings with NUL, lone surrogates and keys Object already has; numbers JSON.parse can yield.
  const hostileString = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.constantFrom(
      '',
      '\u0000',
      '\ud800',
      '__proto__',
      'constructor',
      'url',
      'to',
      'timeoutMs',
      'http://a\u0000b/',
      'https://kettles.test/',
      'x'.repeat(5000),
    ),
  );
  const hostileNumber = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(1e308, Infinity, -Infinity, NaN, -0, 2 ** 53 + 2, 100, 30_000));
  const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      hostileString,
      hostileNumber,
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
    ),
  }));
  const settings = fc.oneof(
    fc.jsonValue(),
    hostileValue,
    fc.record({ url: hostileValue, timeoutMs: hostileValue, to: hostileValue }, { requiredKeys: [] }),
    fc.record({ url: fc.webUrl(), timeoutMs: hostileNumber }),
  );
  const plugin = fc.oneof(fc.constantFrom('webhook', 'email', 'manual'), hostileString);

  test('for arbitrary JSON settings and any plugin name, validate returns problems whose fields start with dispatcher.', () => {
    fc.assert(
      fc.property(plugin, settings, (name, value) => {
        const problems = registry.validate(name, value);
        expect(Array.isArray(problems)).toBe(true);
        for (const p of problems) {
          expect(p.field.startsWith('dispatcher.')).toBe(true);
          expect(typeof p.message).toBe('string');
          expect(p.message.length).toBeGreaterThan(0);
        }
        // Settings that are not an object, or a name that is no plugin, are never usable.
        if (!registry.names().includes(name) || typeof value !== 'object' || value === null || Array.isArray(value)) expect(problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  test("each plugin's own validateSettings never throws for an arbitrary object (the registry's safety net is not what holds)", () => {
    const objects = fc.oneof(
      fc.dictionary(hostileString, hostileValue, { maxKeys: 6 }),
      fc.record({ url: hostileValue, timeoutMs: hostileValue, to: hostileValue }, { requiredKeys: [] }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...registry.names()), objects, (name, value) => {
        const problems = registry.get(name)!.validateSettings(value as Record<string, unknown>);
        for (const p of problems) expect(typeof p.field === 'string' && typeof p.message === 'string').toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  test('the same holds for settings that went through JSON text, as the admin API receives them', () => {
    fc.assert(
      fc.property(plugin, fc.json(), (name, text) => {
        const problems = registry.validate(name, JSON.parse(text));
        for (const p of problems) expect(p.field.startsWith('dispatcher.')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('every http(s) URL fast-check can make is a usable webhook url', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        expect(registry.validate('webhook', { url })).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

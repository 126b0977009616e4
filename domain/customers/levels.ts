// Customer levels pick the price a customer sees (CUSTOMER_LEVELS, e.g. regular, silver,
// gold). The first is the default: a customer nobody set a level for, and one whose level
// was taken out of the configuration, see its prices.

export type CustomerLevels = { readonly names: readonly string[]; readonly defaultLevel: string };

export const LEVEL_NAME = /^[a-z][a-z0-9-]{0,31}$/;

export const DEFAULT_CUSTOMER_LEVELS: CustomerLevels = levelsOf(['regular', 'silver', 'gold']);

export function levelsOf(names: readonly string[]): CustomerLevels {
  if (names.length === 0) throw new RangeError('at least one customer level is needed');
  return { names, defaultLevel: names[0] as string };
}

export function isLevel(levels: CustomerLevels, name: string): boolean {
  return levels.names.includes(name);
}

/** The level whose prices apply: the stored one while it is configured, else the default. */
export function effectiveLevel(levels: CustomerLevels, stored: string | null | undefined): string {
  return stored !== null && stored !== undefined && isLevel(levels, stored) ? stored : levels.defaultLevel;
}

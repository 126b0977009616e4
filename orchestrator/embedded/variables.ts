// Setting variables from outside an instance, for operators who repair one: Zeebe's
// "update element instance variables" (SetVariables), on the scope of one active element
// instance; the process instance key names the root scope. One event transaction.
import type { SqlSession } from '../../infra/database.js';
import { EngineError, type Variables } from '../engine.js';
import type { InstanceEvents } from './instance-events.js';
import type { InstanceState } from './state.js';
import type { TransactionRunner } from './transactions.js';

/** The active process instance an active element instance (or the instance itself) belongs to. */
async function instanceOfScope(tx: SqlSession, scopeKey: string): Promise<string | undefined> {
  const [row] = await tx.query<{ key: string }>(
    `SELECT process_instance_key::text AS key FROM engine_element_instances WHERE key = $1::bigint AND state = 'ACTIVE'
     UNION ALL SELECT key::text FROM engine_process_instances WHERE key = $1::bigint AND state = 'ACTIVE'`,
    [scopeKey],
  );
  return row?.key;
}

/**
 * Zeebe's rule for SetVariables: `local` sets every variable on the given scope only;
 * otherwise each goes to the nearest scope, from the given one outwards, that already
 * has it, else to the process instance (the same propagation as a job's result).
 * False when the scope is not active in this instance (any more).
 */
function setOnScope(s: InstanceState, scopeKey: string, variables: Variables, local: boolean): boolean {
  const root = s.instance.key;
  const scope = s.elements.get(scopeKey);
  if (scopeKey !== root && scope?.state !== 'ACTIVE') return false;
  for (const [name, value] of Object.entries(variables)) {
    let target = scope;
    if (!local) {
      while (target && !(name in target.variables)) target = s.elements.get(target.flowScopeKey);
    }
    if (target) {
      target.variables[name] = value;
      s.touch(target);
    } else {
      s.instance.variables[name] = value;
      s.instanceChanged = true;
    }
  }
  return true;
}

export class ScopeVariables {
  constructor(private readonly o: { transactions: TransactionRunner; instances: InstanceEvents }) {}

  async set(elementInstanceKey: string, variables: Variables, local: boolean): Promise<void> {
    if (!/^\d{1,19}$/.test(elementInstanceKey)) throw new EngineError('INVALID_ARGUMENT', `element instance key '${elementInstanceKey}' is not a key`);
    const done = await this.o.transactions.event(async (tx) => {
      const instanceKey = await instanceOfScope(tx, elementInstanceKey);
      if (!instanceKey) return false;
      const ran = await this.o.instances.onInstance(tx, instanceKey, async (_it, s) => setOnScope(s, elementInstanceKey, variables, local));
      return ran?.result === true;
    });
    // Zeebe answers NOT_FOUND for an unknown key and for an element instance or process instance that ended.
    if (!done) throw new EngineError('NOT_FOUND', `no active element instance ${elementInstanceKey} to set variables on`);
  }
}

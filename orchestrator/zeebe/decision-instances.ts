// The decisions a process instance's business rule tasks evaluated, read from Camunda 8's
// search API (what Operate shows as decision instances), in the shape the embedded engine
// records them. The search lists them; each one's inputs and matched rules come from its
// own GET (the search leaves them out), and the element ids from the element instances
// they ran in. Search reads exported records: an evaluation shows a moment after it ran.
import type { DecisionEvaluationView, DecisionSource } from '../process-inspector.js';
import type { ZeebeApi } from './client.js';
import { call, toEngineError } from './errors.js';

const NOW = { consistency: { waitUpToMs: 0 } } as const;
const KEY = /^[0-9]{1,19}$/;

type SearchApi = Pick<ZeebeApi, 'getProcessInstance' | 'searchDecisionInstances' | 'getDecisionInstance' | 'searchElementInstances'>;
// The SDK brands ids in nested filters, even in its loose client; at run time they are strings.
type DecisionSearch = Parameters<SearchApi['searchDecisionInstances']>[0];
type DecisionGet = Parameters<SearchApi['getDecisionInstance']>[0];
type ElementSearch = Parameters<SearchApi['searchElementInstances']>[0];
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** Zeebe hands values over as JSON text; one that does not parse is shown as it came. */
function value(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export class ZeebeDecisions implements DecisionSource {
  /** `maxDecisions`: how many evaluations of one instance are read (a GET each). */
  constructor(
    private readonly api: SearchApi,
    private readonly maxDecisions = 100,
  ) {}

  async decisionsOf(processInstanceKey: string): Promise<DecisionEvaluationView[] | undefined> {
    if (!KEY.test(processInstanceKey)) return undefined;
    try {
      await this.api.getProcessInstance({ processInstanceKey }, NOW);
    } catch (err) {
      // Not exported yet, or unknown.
      if (toEngineError(err, 'reading a process instance').code === 'NOT_FOUND') return undefined;
      throw toEngineError(err, `reading process instance ${processInstanceKey}`);
    }
    const page = { limit: this.maxDecisions };
    const [found, tasks] = await Promise.all([
      call('searching decision instances', () =>
        this.api.searchDecisionInstances(
          {
            filter: { processInstanceKey },
            sort: [
              { field: 'evaluationDate', order: 'ASC' },
              { field: 'decisionEvaluationInstanceKey', order: 'ASC' },
            ],
            page,
          } as unknown as DecisionSearch,
          NOW,
        ),
      ),
      call('searching business rule tasks', () =>
        this.api.searchElementInstances({ filter: { processInstanceKey, type: 'BUSINESS_RULE_TASK' }, page } as unknown as ElementSearch, NOW),
      ),
    ]);
    const elementIds = new Map((tasks.items ?? []).map((e) => [str(e.elementInstanceKey), str(e.elementId)]));
    const decisions = await Promise.all(
      (found.items ?? []).map((d) =>
        call('reading a decision instance', () =>
          this.api.getDecisionInstance({ decisionEvaluationInstanceKey: d.decisionEvaluationInstanceKey } as unknown as DecisionGet, NOW),
        ),
      ),
    );
    return decisions.map((d) => {
      const failed = d.state === 'FAILED';
      return {
        key: str(d.decisionEvaluationInstanceKey),
        elementId: elementIds.get(str(d.elementInstanceKey)) ?? null,
        elementInstanceKey: str(d.elementInstanceKey),
        decisionKey: str(d.decisionDefinitionKey),
        decisionId: str(d.decisionDefinitionId),
        decisionName: d.decisionDefinitionName ?? null,
        decisionVersion: d.decisionDefinitionVersion ?? 0,
        decisionType: d.decisionDefinitionType ?? 'UNKNOWN',
        inputs: (d.evaluatedInputs ?? []).map((i) => ({
          inputId: str(i.inputId),
          ...(i.inputName ? { inputName: i.inputName } : {}),
          value: value(i.inputValue),
        })),
        matchedRules: (d.matchedRules ?? []).map((r) => ({
          ruleId: str(r.ruleId),
          ruleIndex: r.ruleIndex ?? 0,
          evaluatedOutputs: (r.evaluatedOutputs ?? []).map((o) => ({
            outputId: str(o.outputId),
            ...(o.outputName ? { outputName: o.outputName } : {}),
            value: value(o.outputValue),
          })),
        })),
        output: failed ? null : value(d.result),
        failure: failed ? (d.evaluationFailure ?? 'evaluation failed') : null,
        evaluatedAt: d.evaluationDate ?? '',
      };
    });
  }
}

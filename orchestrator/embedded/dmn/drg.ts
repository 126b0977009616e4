// The decisions of one DMN file (its decision requirements graph, DRG) as the evaluator
// reads them: parse.ts builds this once per deployed file; FEEL stays as text, checked.

export const HIT_POLICIES = ['UNIQUE', 'FIRST', 'PRIORITY', 'ANY', 'COLLECT', 'RULE ORDER', 'OUTPUT ORDER'] as const;
export type HitPolicy = (typeof HIT_POLICIES)[number];
export const AGGREGATIONS = ['SUM', 'MIN', 'MAX', 'COUNT'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export type TableInput = { id: string; label?: string; expression: string };
export type TableOutput = {
  id: string;
  /** The key of this output in a multi-output result (required there). */
  name?: string;
  label?: string;
  /** `outputValues` as a list, the order PRIORITY and OUTPUT ORDER rank by; empty when not given. */
  priorities: unknown[];
  /** What a table gives for this output when no rule matched (DMN `defaultOutputEntry`). */
  defaultExpression?: string;
};
/** `index`: 1-based, as Zeebe reports it (`ruleIndex`). An empty input entry or `-` matches anything. */
export type TableRule = { id: string; index: number; inputEntries: string[]; outputEntries: string[] };

export type DecisionTable = {
  kind: 'DECISION_TABLE';
  hitPolicy: HitPolicy;
  /** Only with COLLECT. */
  aggregation?: Aggregation;
  inputs: TableInput[];
  outputs: TableOutput[];
  rules: TableRule[];
};

export type LiteralExpression = { kind: 'LITERAL_EXPRESSION'; id: string; expression: string };

export type ParsedDecision = {
  id: string;
  name?: string;
  /** What a requiring decision calls this one's result: its variable's name, else its id (DMN-scala). */
  resultName: string;
  /** Ids of the decisions it requires, in document order; all in the same file. */
  requires: string[];
  logic: DecisionTable | LiteralExpression;
};

export type ParsedDecisions = {
  /** The DMN `definitions` id: Zeebe's decision requirements id. */
  id: string;
  name?: string;
  decisions: Map<string, ParsedDecision>;
};

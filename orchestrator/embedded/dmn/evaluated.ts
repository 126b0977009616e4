// What an evaluation reports per decision, the shape of Zeebe's evaluated decisions
// (what Operate shows for a decision instance): values as JSON, dates as ISO strings.

export type EvaluatedInput = { inputId: string; inputName?: string; value: unknown };
export type EvaluatedOutput = { outputId: string; outputName?: string; value: unknown };
/** `ruleIndex`: 1-based, as Zeebe reports it. */
export type MatchedRule = { ruleId: string; ruleIndex: number; evaluatedOutputs: EvaluatedOutput[] };

export type EvaluatedDecision = {
  decisionId: string;
  decisionName?: string;
  decisionType: 'DECISION_TABLE' | 'LITERAL_EXPRESSION';
  inputs: EvaluatedInput[];
  matchedRules: MatchedRule[];
  output: unknown;
};

/** `evaluated`: the required decisions first, the called one last. */
export type DecisionResult = { output: unknown; evaluated: EvaluatedDecision[] };

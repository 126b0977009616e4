// The two questions process owners ask of the diagram: where do customers wait
// longest, and which step fails most. Answered from per-element statistics, with
// which elements count as waiting points (the ops page draws times only on those).
import type { ElementStats } from '../orchestrator/process-inspector.js';

/** An element's statistics with its name and BPMN type, as the diagram shows them. */
export type ElementFacts = ElementStats & { name: string | null; type: string | null };

/**
 * Where a token can wait for the outside world or a worker. Gateways other than
 * event-based ones, start/end and throw events pass tokens on at once; counting
 * them would only add noise.
 */
const WAITING_POINTS = new Set([
  'serviceTask',
  'sendTask',
  'receiveTask',
  'userTask',
  'scriptTask',
  'businessRuleTask',
  'intermediateCatchEvent',
  'eventBasedGateway',
  'subProcess',
  'eventSubProcess',
  'callActivity',
]);

const CONTAINERS = new Set(['subProcess', 'eventSubProcess', 'callActivity']);

/** Whether tokens wait at an element of this BPMN type (answered per element to the ops page). */
export function isWaitingPoint(type: string | null): boolean {
  return WAITING_POINTS.has(type ?? '');
}

export function summarize(elements: readonly ElementFacts[]) {
  const pointer = (e: ElementFacts) => ({ elementId: e.elementId, name: e.name });

  let longest: ElementFacts | undefined;
  for (const e of elements) {
    // A sub-process's time is the sum of the waits inside it: the answer is the step inside.
    if (e.p95Ms === null || e.p50Ms === null || !isWaitingPoint(e.type) || CONTAINERS.has(e.type ?? '')) continue;
    if (!longest || e.p95Ms > (longest.p95Ms as number)) longest = e;
  }

  let failing: ElementFacts | undefined;
  const failures = (e: ElementFacts) => e.jobFailures + e.incidentsTotal;
  for (const e of elements) if (failures(e) > 0 && (!failing || failures(e) > failures(failing))) failing = e;

  let oldest: ElementFacts | undefined;
  for (const e of elements) if (e.oldestWaitingSince && (!oldest || e.oldestWaitingSince < (oldest.oldestWaitingSince as string))) oldest = e;

  return {
    longestWait: longest ? { ...pointer(longest), p95Ms: longest.p95Ms as number, p50Ms: longest.p50Ms as number, completed: longest.completed } : null,
    mostFailures: failing
      ? { ...pointer(failing), jobFailures: failing.jobFailures, incidentsTotal: failing.incidentsTotal, incidentsOpen: failing.incidentsOpen }
      : null,
    oldestWaiting: oldest ? { ...pointer(oldest), since: oldest.oldestWaitingSince as string } : null,
  };
}

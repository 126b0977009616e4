// Reads the labels of a BPMN diagram as bpmn-js rendered it in the browser, and
// finds what makes one hard to read: a word broken over two lines (a label box too
// narrow for it: "approve / d"), a label wrapped onto more lines than its box in the
// diagram has room for, a label drawn over a flow or association line, two labels
// over each other, or one of the ops page's numbers covering a label.
// Everything is measured in screen pixels, from the SVG the browser laid out.

type Point = { x: number; y: number };
export type Box = { x: number; y: number; width: number; height: number };
export type RenderedDiagram = {
  /** Every `text.djs-label`: the element it belongs to (`<id>_label` for an external label), its lines and each line's box. */
  labels: { id: string; lines: { text: string; box: Box }[] }[];
  /** Every connection (sequence flow, association): points along its line, 1 px apart. */
  lines: { id: string; points: Point[] }[];
  /** The ops page's overlays drawn on the diagram (badges, times, counts). */
  overlays: { id: string; box: Box }[];
};

// Just what the page function uses (the project's tsconfig has no DOM lib).
type SvgElement = {
  getBBox(): Box;
  getScreenCTM(): { a: number; b: number; c: number; d: number; e: number; f: number } | null;
  closest(selector: string): { getAttribute(name: string): string | null } | null;
  querySelectorAll(selector: string): Iterable<SvgElement>;
  querySelector(selector: string): SvgElement | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): Box;
  getTotalLength(): number;
  getPointAtLength(at: number): Point;
  textContent: string | null;
};
declare const document: { querySelectorAll(selector: string): Iterable<SvgElement> };

/** Runs in the page (passed to Playwright's `page.evaluate`): must use nothing from outside itself. */
export function measureDiagram(): RenderedDiagram {
  const toScreen = (el: SvgElement, x: number, y: number): Point => {
    const m = el.getScreenCTM();
    if (!m) throw new Error('an element of the diagram is not rendered');
    return { x: m.a * x + m.c * y + m.e, y: m.b * x + m.d * y + m.f };
  };
  const boxOf = (el: SvgElement): Box => {
    const b = el.getBBox();
    const from = toScreen(el, b.x, b.y);
    const to = toScreen(el, b.x + b.width, b.y + b.height);
    return { x: from.x, y: from.y, width: to.x - from.x, height: to.y - from.y };
  };
  const labels = [...document.querySelectorAll('.djs-element > .djs-visual > text.djs-label')].map((text) => ({
    id: text.closest('.djs-element')?.getAttribute('data-element-id') ?? '?',
    lines: [...text.querySelectorAll('tspan')].map((line) => ({ text: line.textContent ?? '', box: boxOf(line) })),
  }));
  const lines = [...document.querySelectorAll('.djs-connection')].map((g) => {
    const path = g.querySelector('.djs-visual > path');
    const points: Point[] = [];
    if (path) {
      const length = path.getTotalLength();
      for (let at = 0; at <= length; at += 1) {
        const p = path.getPointAtLength(at);
        points.push(toScreen(path, p.x, p.y));
      }
    }
    return { id: g.getAttribute('data-element-id') ?? '?', points };
  });
  const overlays = [...document.querySelectorAll('.djs-overlay .ops-line, .djs-overlay .ops-waiting, .djs-overlay .ops-incident-badge')].map((o) => ({
    id: o.closest('[data-element-id]')?.getAttribute('data-element-id') ?? '?',
    box: o.getBoundingClientRect(),
  }));
  return { labels, lines, overlays };
}

export type ModelLabels = {
  /** Names by element id: the text each label should show. */
  names: Map<string, string>;
  /** The label box the diagram (BPMN DI) gives an element drawn with its label outside it: events, gateways, flows. */
  labelBounds: Map<string, { width: number; height: number }>;
};

/** What a BPMN file says its labels show, and in which boxes. */
export function labelsInModel(xml: string): ModelLabels {
  const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];
  const names = new Map<string, string>();
  const process = /<bpmn:process\b[^>]*>([\s\S]*)<\/bpmn:process>/.exec(xml)?.[1] ?? '';
  for (const [, tag = ''] of process.matchAll(/<bpmn:\w+\b([^>]*)>/g)) {
    const id = attr(tag, 'id');
    const name = attr(tag, 'name');
    if (id && name)
      names.set(
        id,
        name
          .replace(/&quot;/g, '"')
          .replace(/&lt;/g, '<')
          .replace(/&gt;/g, '>')
          .replace(/&amp;/g, '&'),
      );
  }
  const labelBounds = new Map<string, { width: number; height: number }>();
  for (const [, open = '', body = ''] of xml.matchAll(/<bpmndi:BPMN(?:Shape|Edge)\b([^>]*)>([\s\S]*?)<\/bpmndi:BPMN(?:Shape|Edge)>/g)) {
    const bounds = /<bpmndi:BPMNLabel>\s*<dc:Bounds\b([^>]*)\/>/.exec(body)?.[1];
    const id = attr(open, 'bpmnElement');
    if (id && bounds) labelBounds.set(id, { width: Number(attr(bounds, 'width')), height: Number(attr(bounds, 'height')) });
  }
  return { names, labelBounds };
}

/** bpmn-js draws an outside label in 11 px Arial, 1.2 lines: Camunda Modeler sizes a one-line label box 14 px high, two lines 27 px. */
const EXTERNAL_LINE_HEIGHT = 13.2;

const overlap = (a: Box, b: Box, margin: number) =>
  a.x - margin < b.x + b.width && b.x - margin < a.x + a.width && a.y - margin < b.y + b.height && b.y - margin < a.y + a.height;
const inside = (p: Point, b: Box, margin: number) =>
  p.x >= b.x - margin && p.x <= b.x + b.width + margin && p.y >= b.y - margin && p.y <= b.y + b.height + margin;
const words = (s: string) => s.split(/\s+/).filter(Boolean);

/**
 * What is wrong with the labels, one sentence each (none: an empty list).
 * `margin` (screen px): how close a line or another label may come to a label's text.
 */
export function labelProblems(d: RenderedDiagram, { names, labelBounds }: ModelLabels, o: { margin?: number } = {}): string[] {
  const margin = o.margin ?? 1;
  const problems: string[] = [];
  const shown = new Set(d.labels.map((l) => l.id.replace(/_label$/, '')));
  for (const [id, name] of names) if (!shown.has(id)) problems.push(`${id} ("${name}") has no label on the diagram`);
  for (const label of d.labels) {
    const id = label.id.replace(/_label$/, '');
    const rendered = label.lines.map((l) => l.text);
    const name = names.get(id);
    // A line break only between words: the words on the lines are the name's words.
    if (name !== undefined && JSON.stringify(words(rendered.join(' '))) !== JSON.stringify(words(name))) {
      problems.push(`${id}: "${name}" is broken inside a word: ${rendered.map((t) => `"${t}"`).join(' / ')}`);
    }
    // An outside label's box is where the modeler leaves room for it: text wrapped onto more lines than that spills out.
    const bounds = label.id.endsWith('_label') ? labelBounds.get(id) : undefined;
    const room = bounds ? Math.max(1, Math.round(bounds.height / EXTERNAL_LINE_HEIGHT)) : Infinity;
    if (bounds && rendered.length > room) {
      problems.push(
        `${id}: "${name ?? rendered.join(' ')}" takes ${rendered.length} lines (${rendered.map((t) => `"${t}"`).join(' / ')}) in a label box of ${bounds.width}×${bounds.height} px, room for ${room}: widen it`,
      );
    }
    for (const line of d.lines) {
      const hit = label.lines.find((l) => line.points.some((p) => inside(p, l.box, margin)));
      if (hit) problems.push(`${id}: "${hit.text}" is drawn over the line of ${line.id}`);
    }
    for (const overlay of d.overlays) {
      const hit = label.lines.find((l) => overlap(l.box, overlay.box, 0));
      if (hit) problems.push(`${id}: "${hit.text}" is covered by the ops numbers of ${overlay.id}`);
    }
  }
  for (const [i, a] of d.labels.entries()) {
    for (const b of d.labels.slice(i + 1)) {
      const hit = a.lines.find((la) => b.lines.some((lb) => overlap(la.box, lb.box, margin)));
      if (hit) problems.push(`${a.id} and ${b.id} are drawn over each other ("${hit.text}")`);
    }
  }
  return problems;
}

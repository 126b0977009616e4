// What POST /orders takes, for the client that sent something else. A 400 about the
// order body has the type /problems/invalid-order-body, which this service serves as a
// page explaining the body, and hints for the fields other shops' APIs have (prices,
// names and product ids come from our catalogue, not from the client).
import { HttpProblem, type FieldError } from './problem.js';

export const ORDER_BODY_PROBLEM = 'invalid-order-body';
export const ORDER_BODY_PAGE = `/problems/${ORDER_BODY_PROBLEM}`;

const PRICE = 'prices come from the catalogue: send items with sku and quantity only';
const LINE_PRICE = 'prices come from the catalogue: send sku and quantity only';

/** Hints for fields of the order itself that other order APIs have and this one does not. */
export const ORDER_FIELD_HINTS: Readonly<Record<string, string>> = {
  amount: PRICE,
  total: PRICE,
  price: PRICE,
  currency: 'the currency comes from the catalogue',
  email: 'use customerEmail',
};

/** Hints for fields of an order line (items[i]). */
export const ITEM_FIELD_HINTS: Readonly<Record<string, string>> = {
  id: 'use sku: the product is named by its SKU (GET /products lists them)',
  productId: 'use sku: the product is named by its SKU (GET /products lists them)',
  name: 'names come from the catalogue: send sku and quantity only',
  amount: LINE_PRICE,
  price: LINE_PRICE,
  unitPrice: LINE_PRICE,
  currency: 'the currency comes from the catalogue',
};

const UNKNOWN_ORDER_FIELD = /^([A-Za-z0-9_$]+)$/;
const UNKNOWN_ITEM_FIELD = /^items\[\d+\]\.([A-Za-z0-9_$]+)$/;

function hintFor(error: FieldError): string | undefined {
  if (error.field === 'paymentMethod' && error.message === 'is required')
    return 'a payment-method token of the payment provider (sandbox: pm_approve, pm_decline, …)';
  if (!error.message.startsWith('unknown field')) return undefined;
  const own = Object.hasOwn;
  const top = UNKNOWN_ORDER_FIELD.exec(error.field)?.[1];
  if (top !== undefined && own(ORDER_FIELD_HINTS, top)) return ORDER_FIELD_HINTS[top];
  const item = UNKNOWN_ITEM_FIELD.exec(error.field)?.[1];
  if (item !== undefined && own(ITEM_FIELD_HINTS, item)) return ITEM_FIELD_HINTS[item];
  return undefined;
}

/** The 400 for an order body that is not one: every offending field, with a hint where one helps. */
export function orderBodyProblem(errors: FieldError[]): HttpProblem {
  const hinted = errors.map((e) => {
    const hint = e.hint ?? hintFor(e);
    return hint === undefined ? e : { ...e, hint };
  });
  const detail = `${hinted.map((e) => `${e.field}: ${e.message}`).join('; ')}. The order body is explained at ${ORDER_BODY_PAGE}; the whole API at /docs and /openapi.json`;
  return new HttpProblem(400, ORDER_BODY_PROBLEM, 'Your order is not valid', detail, hinted);
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function duration(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  for (const [size, name] of units) if (ms % size === 0) return `${ms / size} ${name}${ms === size ? '' : 's'}`;
  return `${ms} ms`;
}

export const ORDER_BODY_EXAMPLE = {
  customerId: 'cust-42',
  items: [
    { sku: 'SKU-KETTLE', quantity: 2 },
    { sku: 'SKU-SCALE', quantity: 1 },
  ],
  paymentMethod: 'pm_approve',
  customerEmail: 'ada@example.com',
};

/** GET /problems/invalid-order-body: the order body, explained (a small HTML page, no scripts). */
export function orderBodyPage(idempotencyKeyTtlMs: number): string {
  const hintRows = (prefix: string, hints: Readonly<Record<string, string>>) =>
    Object.entries(hints)
      .map(([field, hint]) => `<tr><td><code>${escapeHtml(prefix + field)}</code></td><td>${escapeHtml(hint)}</td></tr>`)
      .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invalid order body — order-saga</title><link rel="icon" href="data:,">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}code,pre{background:#f4f4f4;padding:0 .2em}pre{padding:.6em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}</style></head>
<body><main>
<h1>Invalid order body</h1>
<p>A <code>400</code> problem of type <code>${ORDER_BODY_PAGE}</code> answers a <code>POST /orders</code> whose JSON body is not an order of this API.
Its <code>errors</code> name every field to fix; a <code>hint</code> says what to send instead where a field comes from another shop's API.
Nothing was created.</p>

<h2>The order body</h2>
<table>
<tr><th>field</th><th></th><th>what it is</th></tr>
<tr><td><code>customerId</code></td><td>required</td><td>your customer's id, 1–100 characters</td></tr>
<tr><td><code>items</code></td><td>required</td><td>1–100 order lines, each <code>{"sku", "quantity"}</code> and nothing else</td></tr>
<tr><td><code>items[].sku</code></td><td>required</td><td>the product's SKU from the catalogue (<a href="/products"><code>GET /products</code></a>); each SKU once per order</td></tr>
<tr><td><code>items[].quantity</code></td><td>required</td><td>an integer, 1–10000</td></tr>
<tr><td><code>paymentMethod</code></td><td>required</td><td>the payment provider's payment-method token (sandbox: <code>pm_approve</code>, <code>pm_decline</code>, <code>pm_no_answer</code>, …)</td></tr>
<tr><td><code>customerEmail</code></td><td>optional</td><td>where notifications go when e-mail is configured</td></tr>
</table>
<p>Any other field is refused by name.</p>
<pre>${escapeHtml(`POST /orders
Content-Type: application/json
Idempotency-Key: checkout-7f3a9c   (optional)

${JSON.stringify(ORDER_BODY_EXAMPLE, null, 2)}`)}</pre>

<h2>Prices come from the catalogue</h2>
<p>The client sends no prices, totals, currencies, product names or product ids: each line is priced from the catalogue
when the order is recorded, and the <code>202</code> answer carries the order's <code>total</code>.
This is why <code>amount</code> is refused.</p>
<table>
<tr><th>field you sent</th><th>hint</th></tr>
${hintRows('', ORDER_FIELD_HINTS)}
${hintRows('items[].', ITEM_FIELD_HINTS)}
</table>

<h2>Retries</h2>
<p>With an <code>Idempotency-Key</code> header, a retry with the same key and body answers the same order
(<code>Idempotent-Replayed: true</code>); the same key with a different body is a <code>422</code>.
A key is kept for ${escapeHtml(duration(idempotencyKeyTtlMs))} after its order was placed; after that it may be used for a new order.</p>

<h2>More</h2>
<p>The whole API: <a href="/docs">/docs</a> (Swagger UI) and <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
</main></body></html>
`;
}

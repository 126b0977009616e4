// The built-in `sandbox` payment provider: a stand-in for the third party we
// cannot reach from here (Stripe, Adyen…). It is the only fake in the system and
// it sits exactly at that boundary, so everything on our side of it (gateway
// port, signed webhook, inbox, relay, process) runs for real in tests and demos.
//
// It behaves like a real provider, including the unpleasant parts: the request
// API answers at once and may fail transiently; the outcome arrives later as a
// signed HTTP callback to our webhook; a callback that is not acknowledged with
// a 2xx is redelivered with back-off, and a redelivery is the same event.
// Captures and refunds of an approved payment are answered at once (operations.ts).
// Its memory (payments, attempt counts, money moved, idempotency keys) lives in Redis under the queue prefix,
// outside our database, so it survives our restarts the way a provider would.
import { createHash, randomBytes } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import {
  PaymentOperationRefusedError,
  TransientProviderError,
  type PaymentGateway,
  type PaymentOperation,
  type PaymentRequest,
  type ProviderPaymentStatus,
  type RefundResult,
} from '../../../domain/payments/gateway.js';
import { signPayload } from '../../../domain/payments/signature.js';
import type { Logger } from '../../../infra/logger.js';
import { postJson } from '../../http/post-json.js';
import { QUEUE_NAMES, type QueueContext } from '../../../queues/context.js';
import { Consumer, logFailedAttempt } from '../../../queues/consumer.js';
import {
  bankDecision,
  callsBack,
  failuresBeforeAccept,
  operationBehaviour,
  parseSandboxToken,
  SANDBOX_TOKENS_MESSAGE,
  type OperationKind,
  type SandboxOutcome,
} from './tokens.js';
import { applyOperation, OPERATION_COMMAND, OPERATION_SCRIPT } from './operations.js';
import { SANDBOX_PROVIDER, SANDBOX_SIGNATURE_HEADER, type SandboxEvent } from './webhook-event.js';
import { killPoint } from '../../../infra/kill-points.js';

export type SandboxProviderOptions = {
  webhookSecret: string;
  /** How long the "bank" takes to decide: the delay before the callback, and before getPayment reports the verdict. */
  delayMs: number;
  /** Resolved at delivery time: our HTTP port is known only after listen. */
  callbackUrl: () => string;
  /** First redelivery delay; doubles per attempt, up to `maxRedeliveryBackoffMs`. Default 2 s. */
  redeliveryBackoffMs?: number;
  /** Longest wait between two deliveries. Default 1 h. */
  maxRedeliveryBackoffMs?: number;
  /** Deliveries in all, the first included. Default 100: with the defaults, about four days of trying, as real providers do. */
  deliveryAttempts?: number;
  /** A webhook that does not answer in time counts as a failed delivery. */
  deliveryTimeoutMs?: number;
};

type CallbackJob = { paymentId: string; orderId: string; created: number };

/** What the provider remembers about one payment (a Redis hash; every value a string). */
type PaymentRecord = {
  providerPaymentId?: string;
  orderId?: string;
  amountMinor?: string;
  currency?: string;
  outcome?: SandboxOutcome['kind'];
  reason?: string;
  /** When the bank has decided (ms since the epoch): until then getPayment answers 'pending'. */
  decidesAt?: string;
  /** pending → succeeded | failed once the callback was acknowledged; voided at any time. */
  status?: 'pending' | 'succeeded' | 'failed' | 'voided';
  /** Set once the callback job exists, so a repeated request never schedules a second one. */
  scheduled?: string;
  attempts?: string;
  /** Chosen by the token: how many capture / refund calls fail transiently first, and which kind it refuses ('' for none). */
  captureFailures?: string;
  refundFailures?: string;
  refuses?: '' | OperationKind;
  /** Money moved by captures and refunds, and the calls of each kind; each operation's answer under `op:<idempotency key>` (operations.ts). */
  capturedMinor?: string;
  refundedMinor?: string;
  releasedMinor?: string;
  captureCalls?: string;
  refundCalls?: string;
};

// One round trip, atomic: count the attempt, and accept the payment unless this
// attempt is one of the transient failures the token asks for. A payment that
// was accepted once stays accepted, whatever the later requests carry.
const REQUEST_SCRIPT = `
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[8]))
if redis.call('HEXISTS', KEYS[1], 'providerPaymentId') == 1 then return {'accepted', attempts} end
if attempts <= tonumber(ARGV[7]) then return {'unavailable', attempts} end
redis.call('HSET', KEYS[1], 'providerPaymentId', ARGV[1], 'orderId', ARGV[2], 'amountMinor', ARGV[3], 'currency', ARGV[4], 'outcome', ARGV[5], 'reason', ARGV[6], 'status', 'pending', 'decidesAt', ARGV[9],
  'captureFailures', ARGV[10], 'refundFailures', ARGV[11], 'refuses', ARGV[12])
return {'accepted', attempts}
`;
const REQUEST_COMMAND = 'sandboxProviderRequest';

// A delivery that read the record before a void landed must not turn 'voided' back into a verdict.
const SETTLE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'status') == 'pending' then redis.call('HSET', KEYS[1], 'status', ARGV[1]) return 1 end
return 0
`;
const SETTLE_COMMAND = 'sandboxProviderSettle';
const RECORD_TTL_SECONDS = 30 * 24 * 3600;

const REDELIVERY_BACKOFF = 'sandbox-redelivery';

/** Exponential from the first redelivery delay, capped: a provider keeps trying for days, not ever faster. */
export function redeliveryDelay(attemptsMade: number, o: Pick<SandboxProviderOptions, 'redeliveryBackoffMs' | 'maxRedeliveryBackoffMs'>): number {
  const base = o.redeliveryBackoffMs ?? 2000;
  return Math.min(o.maxRedeliveryBackoffMs ?? 3_600_000, base * 2 ** Math.max(0, Math.min(attemptsMade - 1, 40)));
}

/** BullMQ job ids may not contain ':'; percent-encoding keeps them unique and readable. */
const callbackJobId = (paymentId: string) => `callback-${encodeURIComponent(paymentId)}`;

/** Deterministic per payment: a redelivery is the same event, and our inbox can tell. */
const eventId = (paymentId: string) => `evt_${createHash('sha256').update(`sandbox:${paymentId}`).digest('hex').slice(0, 24)}`;

/** What the bank has decided by now: nothing until `decidesAt`, then the token's verdict ('pending' for one that never decides). */
function bankVerdict(record: PaymentRecord): 'pending' | 'approved' | 'declined' {
  // A record from before decidesAt was kept is older than any delay: decided long ago.
  const decided = Date.now() >= Number(record.decidesAt ?? 0);
  return (decided && record.outcome ? bankDecision(record.outcome) : undefined) ?? 'pending';
}

/** The amounts, once a capture or refund moved money: absent before, as for a provider that has none to show. */
function amountsOf(record: PaymentRecord): Pick<ProviderPaymentStatus, 'capturedMinor' | 'refundedMinor' | 'releasedMinor'> {
  if (record.capturedMinor === undefined && record.refundedMinor === undefined && record.releasedMinor === undefined) return {};
  return {
    capturedMinor: Number(record.capturedMinor ?? 0),
    refundedMinor: Number(record.refundedMinor ?? 0),
    releasedMinor: Number(record.releasedMinor ?? 0),
  };
}

const notFound = (payment: { paymentId: string; providerPaymentId: string }) =>
  new Error(`sandbox: no payment ${payment.providerPaymentId} for ${payment.paymentId} (404)`);

export class SandboxProvider implements PaymentGateway {
  readonly provider = SANDBOX_PROVIDER;
  /** Exposed for the queue dashboard. */
  readonly queue: Queue<CallbackJob>;
  private readonly consumer: Consumer<CallbackJob>;
  private readonly logger: Logger;
  private commandDefined = false;

  constructor(
    private readonly ctx: QueueContext,
    private readonly options: SandboxProviderOptions,
  ) {
    this.logger = ctx.logger.child({ component: 'sandbox-provider' });
    this.consumer = new Consumer<CallbackJob>(ctx, {
      name: QUEUE_NAMES.sandboxProvider,
      process: (job) => this.deliver(job),
      concurrency: 5,
      // A delivery cut short by our own crash (the job stalls) is tried again, however often we crash:
      // BullMQ's default fails a job that stalled twice, which lost callbacks across repeated restarts.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      backoffStrategy: (attemptsMade) => redeliveryDelay(attemptsMade, this.options),
      logger: this.logger,
      errorMessages: { queue: 'sandbox provider queue error', worker: 'sandbox callback worker error' },
      onFailed: logFailedAttempt(this.logger, {
        fields: (data) => ({ orderId: data.orderId, paymentId: data.paymentId }),
        retrying: 'sandbox callback not acknowledged; will redeliver',
        gaveUp: 'sandbox callback given up',
      }),
    });
    this.queue = this.consumer.queue;
  }

  checkPaymentMethod(paymentMethod: string): string | undefined {
    return parseSandboxToken(paymentMethod) ? undefined : `unknown payment method ${JSON.stringify(paymentMethod)}: ${SANDBOX_TOKENS_MESSAGE}`;
  }

  async requestPayment(request: PaymentRequest): Promise<{ providerPaymentId: string }> {
    const outcome = parseSandboxToken(request.paymentMethod);
    // A real provider answers 400 here; not worth retrying.
    if (!outcome) throw new Error(`sandbox: ${this.checkPaymentMethod(request.paymentMethod)}`);
    try {
      return await this.accept(request, outcome);
    } catch (err) {
      if (err instanceof TransientProviderError) throw err;
      // The provider's own store unreachable is, to the caller, its API being down: worth a retry.
      throw new TransientProviderError(`sandbox: payment API unavailable (${(err as Error).message})`);
    }
  }

  private async accept(request: PaymentRequest, outcome: SandboxOutcome): Promise<{ providerPaymentId: string }> {
    const failures = failuresBeforeAccept(outcome);
    const reason = outcome.kind === 'decline' ? outcome.reason : '';
    const capture = operationBehaviour(outcome, 'capture');
    const refund = operationBehaviour(outcome, 'refund');

    const client = await this.client();
    const [verdict, attempt] = (await client.runCommand(REQUEST_COMMAND, [
      this.recordKey(request.paymentId),
      `sbx_${randomBytes(12).toString('hex')}`,
      request.orderId,
      String(request.amountMinor),
      request.currency,
      outcome.kind,
      reason,
      String(failures),
      String(RECORD_TTL_SECONDS),
      String(Date.now() + this.options.delayMs),
      String(capture.failures),
      String(refund.failures),
      capture.refused ? 'capture' : refund.refused ? 'refund' : '',
    ])) as [string, number];
    if (verdict === 'unavailable') {
      this.logger.info({ orderId: request.orderId, paymentId: request.paymentId, attempt, failures }, 'sandbox request failing transiently, as the token asks');
      throw new TransientProviderError(`sandbox: payment API unavailable (attempt ${attempt} of ${failures} failing, token ${request.paymentMethod})`);
    }

    const record = await this.record(request.paymentId);
    const providerPaymentId = record.providerPaymentId as string;
    if (record.outcome && callsBack(record.outcome) && record.status === 'pending' && !record.scheduled) {
      const delay = this.options.delayMs;
      await this.queue.add(
        'callback',
        { paymentId: request.paymentId, orderId: request.orderId, created: Math.floor((Date.now() + delay) / 1000) },
        {
          // The same id for every request of this payment: concurrent or repeated requests schedule one callback.
          jobId: callbackJobId(request.paymentId),
          delay,
          attempts: this.options.deliveryAttempts ?? 100,
          backoff: { type: REDELIVERY_BACKOFF },
          removeOnComplete: { age: 24 * 3600 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
      await client.hset(this.recordKey(request.paymentId), { scheduled: '1' });
    }
    this.logger.info({ orderId: request.orderId, paymentId: request.paymentId, providerPaymentId, outcome: record.outcome }, 'sandbox payment accepted');
    return { providerPaymentId };
  }

  async voidPayment(payment: { paymentId: string; providerPaymentId: string }): Promise<void> {
    const client = await this.client();
    const key = this.recordKey(payment.paymentId);
    const record = await this.record(payment.paymentId);
    if (!record.providerPaymentId) {
      this.logger.warn({ ...payment }, 'sandbox void for a payment it never accepted; nothing to do');
      return;
    }
    // Marked before the job is removed: a delivery that has not read the record yet, or a retry
    // of one that is failing right now (an active job cannot be removed), stays silent.
    await client.hset(key, { status: 'voided' });
    await this.queue.remove(callbackJobId(payment.paymentId));
    this.logger.info({ orderId: record.orderId, ...payment }, 'sandbox payment voided');
  }

  /**
   * The status API: 'pending' until the bank decided (`delayMs` after acceptance), then its
   * verdict, whether or not the webhook got through; 'voided' once voided. A payment it never
   * accepted, or asked for under another provider id, is an Error (a real provider's 404):
   * only its own request can create it, so retrying the question will not help.
   */
  async getPayment(payment: { paymentId: string; providerPaymentId: string }): Promise<ProviderPaymentStatus> {
    let record: PaymentRecord;
    try {
      record = await this.record(payment.paymentId);
    } catch (err) {
      throw new TransientProviderError(`sandbox: payment API unavailable (${(err as Error).message})`);
    }
    if (!record.providerPaymentId || record.providerPaymentId !== payment.providerPaymentId) throw notFound(payment);
    if (record.status === 'voided') return { status: 'voided', ...amountsOf(record) };
    const decision = bankVerdict(record);
    if (decision === 'declined') return { status: 'declined', reason: record.reason || 'declined' };
    return { status: decision, ...amountsOf(record) };
  }

  async capture(op: PaymentOperation): Promise<{ providerOperationId: string }> {
    const { providerOperationId } = await this.operate('capture', op);
    return { providerOperationId };
  }

  async refund(op: PaymentOperation): Promise<RefundResult> {
    return this.operate('refund', op);
  }

  /** Capture or refund: a 400 for a malformed amount, a 404 for a payment it never accepted, else the script decides. */
  private async operate(kind: OperationKind, op: PaymentOperation): Promise<RefundResult> {
    if (!Number.isSafeInteger(op.amountMinor) || op.amountMinor <= 0) throw this.refused(kind, op, 'amount must be a positive whole number of minor units');
    if (!op.idempotencyKey) throw this.refused(kind, op, 'an idempotency key is required');
    // Its own store unreachable is, to the caller, its API being down: worth a retry.
    const unavailable = (err: Error) => new TransientProviderError(`sandbox: ${kind} API unavailable (${err.message})`);
    const record = await this.record(op.paymentId).catch((err: Error) => Promise.reject(unavailable(err)));
    if (record.providerPaymentId !== op.providerPaymentId) throw notFound(op);
    const answer = await this.client()
      .then((client) =>
        applyOperation(client, {
          key: this.recordKey(op.paymentId),
          kind,
          op,
          providerOperationId: `sbxop_${randomBytes(12).toString('hex')}`,
          verdict: bankVerdict(record),
          ttlSeconds: RECORD_TTL_SECONDS,
        }),
      )
      .catch((err: Error) => Promise.reject(unavailable(err)));
    const fields = { paymentId: op.paymentId, idempotencyKey: op.idempotencyKey, amountMinor: op.amountMinor };
    switch (answer.kind) {
      case 'unknown':
        throw notFound(op);
      case 'unavailable':
        this.logger.info({ ...fields, attempt: answer.attempt, failures: answer.failures }, `sandbox ${kind} failing transiently, as the token asks`);
        throw new TransientProviderError(
          `sandbox: ${kind} API unavailable (attempt ${answer.attempt} of ${answer.failures} failing, as the payment method asks)`,
        );
      case 'refused':
        throw this.refused(kind, op, answer.reason);
      case 'done': {
        const { providerOperationId, refundedMinor, releasedMinor } = answer;
        this.logger.info({ ...fields, providerOperationId, refundedMinor, releasedMinor }, `sandbox ${kind} done`);
        return { providerOperationId, refundedMinor, releasedMinor };
      }
    }
  }

  private refused(kind: OperationKind, op: PaymentOperation, reason: string): PaymentOperationRefusedError {
    this.logger.info({ paymentId: op.paymentId, idempotencyKey: op.idempotencyKey, amountMinor: op.amountMinor, reason }, `sandbox ${kind} refused`);
    return new PaymentOperationRefusedError(reason, `sandbox: ${kind} of ${op.amountMinor} ${op.currency} refused: ${reason}`);
  }

  /** Starts delivering callbacks. */
  async start(): Promise<void> {
    await this.consumer.start()?.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.consumer.close();
  }

  private async deliver(job: Job<CallbackJob>): Promise<string> {
    const { paymentId, created } = job.data;
    const record = await this.record(paymentId);
    if (!record.providerPaymentId) return 'forgotten';
    if (record.status === 'voided') return 'voided';

    const failed = record.outcome === 'decline';
    const event: SandboxEvent = {
      id: eventId(paymentId),
      type: failed ? 'payment.failed' : 'payment.succeeded',
      created,
      data: {
        paymentId,
        providerPaymentId: record.providerPaymentId,
        orderId: record.orderId as string,
        amountMinor: Number(record.amountMinor),
        currency: record.currency as string,
        ...(failed ? { reason: record.reason || 'declined' } : {}),
      },
    };
    const body = JSON.stringify(event);
    // Signed per delivery with the current time, as Stripe does: a redelivery hours
    // later must still pass the receiver's tolerance window.
    const signature = signPayload(this.options.webhookSecret, body, Math.floor(Date.now() / 1000));
    // Not fetch: it refuses some ports (PORT=4190…) outright. A 3xx is a failed delivery, never followed.
    const status = await postJson(
      this.options.callbackUrl(),
      { [SANDBOX_SIGNATURE_HEADER]: signature, 'user-agent': 'order-saga-sandbox/1' },
      body,
      this.options.deliveryTimeoutMs ?? 10_000,
    );
    if (status < 200 || status > 299)
      throw new Error(`webhook answered ${status} to ${event.id}${status >= 300 && status < 400 ? ' (redirects are not followed)' : ''}`);

    killPoint('sandbox-callback:after-delivery');
    await (await this.client()).runCommand(SETTLE_COMMAND, [this.recordKey(paymentId), failed ? 'failed' : 'succeeded']);
    this.logger.info(
      { orderId: event.data.orderId, paymentId, eventId: event.id, type: event.type, attempt: job.attemptsMade + 1 },
      'sandbox callback delivered',
    );
    return event.id;
  }

  private recordKey(paymentId: string): string {
    // Not under the queue's own key space: obliterating the queue must not wipe the provider's memory.
    return `${this.ctx.prefix}:sandbox-state:payment:${paymentId}`;
  }

  private async record(paymentId: string): Promise<PaymentRecord> {
    return (await (await this.client()).hgetall(this.recordKey(paymentId))) as PaymentRecord;
  }

  private async client() {
    const client = await this.queue.getBackend().client;
    if (!this.commandDefined) {
      client.defineCommand(REQUEST_COMMAND, { numberOfKeys: 1, lua: REQUEST_SCRIPT });
      client.defineCommand(SETTLE_COMMAND, { numberOfKeys: 1, lua: SETTLE_SCRIPT });
      client.defineCommand(OPERATION_COMMAND, { numberOfKeys: 1, lua: OPERATION_SCRIPT });
      this.commandDefined = true;
    }
    return client;
  }
}

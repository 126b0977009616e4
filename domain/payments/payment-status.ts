// A payment's life: requested from the provider, then approved or declined by
// its callback, or voided by compensation. Voiding an approved payment is how an
// authorization is released when a cancellation won the race against the approval.
export const PAYMENT_STATUSES = ['REQUESTED', 'APPROVED', 'DECLINED', 'VOIDED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const NEXT: Record<PaymentStatus, readonly PaymentStatus[]> = {
  REQUESTED: ['APPROVED', 'DECLINED', 'VOIDED'],
  APPROVED: ['VOIDED'],
  DECLINED: [],
  VOIDED: [],
};

export function canMovePayment(from: PaymentStatus, to: PaymentStatus): boolean {
  return NEXT[from].includes(to);
}

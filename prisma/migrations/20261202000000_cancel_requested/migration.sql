-- When the order's process accepted a customer's cancellation: a repeated request answers the same.
ALTER TABLE "orders" ADD COLUMN "cancel_requested_at" TIMESTAMPTZ(3);
-- When the order's stock was given back: a reservation that arrives later (a job still
-- running when the order was cancelled) must not hold units for an order that is over.
ALTER TABLE "orders" ADD COLUMN "stock_released_at" TIMESTAMPTZ(3);

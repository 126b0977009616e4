-- The business a shipment was reassigned away from: the shipment process tells it to stop.
ALTER TABLE "shipments" ADD COLUMN "previous_business_id" TEXT;

CREATE TABLE `charges` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`payment_intent_id` text NOT NULL,
	`customer` text,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`payment_method` text,
	`failure_code` text,
	`failure_message` text,
	`outcome_reason` text,
	`payment_method_details` text,
	`billing_details` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `charges_list_idx` ON `charges` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `charges_intent_idx` ON `charges` (`payment_intent_id`,`created`);--> statement-breakpoint
CREATE INDEX `charges_customer_idx` ON `charges` (`merchant_id`,`customer`,`created`);--> statement-breakpoint
-- Backfill (hand-written): the latest charge of every intent made before charges had rows, as the
-- API derived it from the intent (failed when its last attempt was declined), so later events and
-- refunds of those intents find their charge. Earlier declined attempts left no trace to copy.
INSERT INTO `charges` (`id`, `merchant_id`, `payment_intent_id`, `customer`, `amount`, `currency`, `status`, `payment_method`, `failure_code`, `failure_message`, `outcome_reason`, `payment_method_details`, `billing_details`, `created`)
SELECT pi.`latest_charge`, pi.`merchant_id`, pi.`id`, pi.`customer`, pi.`amount`, pi.`currency`,
  CASE WHEN (SELECT v.`kind` FROM `payment_intent_versions` v WHERE v.`intent_id` = pi.`id` AND v.`kind` IN ('authorized', 'declined') ORDER BY v.`version` DESC LIMIT 1) = 'declined' THEN 'failed' ELSE 'succeeded' END,
  coalesce(pi.`payment_method`, json_extract(pi.`last_payment_error`, '$.payment_method.id')),
  CASE WHEN (SELECT v.`kind` FROM `payment_intent_versions` v WHERE v.`intent_id` = pi.`id` AND v.`kind` IN ('authorized', 'declined') ORDER BY v.`version` DESC LIMIT 1) = 'declined' THEN json_extract(pi.`last_payment_error`, '$.code') END,
  CASE WHEN (SELECT v.`kind` FROM `payment_intent_versions` v WHERE v.`intent_id` = pi.`id` AND v.`kind` IN ('authorized', 'declined') ORDER BY v.`version` DESC LIMIT 1) = 'declined' THEN json_extract(pi.`last_payment_error`, '$.message') END,
  CASE WHEN (SELECT v.`kind` FROM `payment_intent_versions` v WHERE v.`intent_id` = pi.`id` AND v.`kind` IN ('authorized', 'declined') ORDER BY v.`version` DESC LIMIT 1) = 'declined' THEN json_extract(pi.`last_payment_error`, '$.decline_code') END,
  (SELECT json_object('type', 'card', 'card', json_object('brand', pm.`brand`, 'checks', json_object('address_line1_check', null, 'address_postal_code_check', null, 'cvc_check', null), 'country', null, 'exp_month', pm.`exp_month`, 'exp_year', pm.`exp_year`, 'fingerprint', pm.`fingerprint`, 'funding', pm.`funding`, 'last4', pm.`last4`, 'network', pm.`brand`))
     FROM `payment_methods` pm WHERE pm.`id` = coalesce(pi.`payment_method`, json_extract(pi.`last_payment_error`, '$.payment_method.id')) AND pm.`merchant_id` = pi.`merchant_id`),
  (SELECT pm.`billing_details` FROM `payment_methods` pm WHERE pm.`id` = coalesce(pi.`payment_method`, json_extract(pi.`last_payment_error`, '$.payment_method.id')) AND pm.`merchant_id` = pi.`merchant_id`),
  coalesce(pi.`authorized_at`, pi.`created`)
FROM `payment_intents` pi WHERE pi.`latest_charge` IS NOT NULL;

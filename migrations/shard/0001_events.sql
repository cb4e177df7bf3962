CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`type` text NOT NULL,
	`object_type` text NOT NULL,
	`object_id` text NOT NULL,
	`snapshot` text NOT NULL,
	`previous_attributes` text,
	`request_id` text,
	`request_idempotency_key` text,
	`created` integer NOT NULL,
	`pending_webhooks` integer DEFAULT 0 NOT NULL,
	`webhook_targets` text,
	`dispatched` integer DEFAULT 0 NOT NULL,
	`claimed_at` integer
);
--> statement-breakpoint
CREATE INDEX `events_list_idx` ON `events` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `events_type_idx` ON `events` (`merchant_id`,`type`,`created`);--> statement-breakpoint
CREATE INDEX `events_object_idx` ON `events` (`object_id`,`created`);--> statement-breakpoint
CREATE INDEX `events_outbox_idx` ON `events` (`merchant_id`,`created`) WHERE "events"."dispatched" = 0;--> statement-breakpoint
CREATE INDEX `events_created_idx` ON `events` (`created`);--> statement-breakpoint
CREATE TABLE `webhook_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`event_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`outcome` text NOT NULL,
	`response_status` integer,
	`response_body` text,
	`error` text,
	`latency_ms` integer NOT NULL,
	`next_retry_at` integer,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_attempts_endpoint_idx` ON `webhook_attempts` (`endpoint_id`,`created`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_attempts_event_idx` ON `webhook_attempts` (`event_id`,`created`);--> statement-breakpoint
CREATE INDEX `webhook_attempts_created_idx` ON `webhook_attempts` (`created`);--> statement-breakpoint
CREATE TABLE `webhook_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text,
	`enabled_events` text NOT NULL,
	`metadata` text DEFAULT '{}' NOT NULL,
	`status` text NOT NULL,
	`disabled_reason` text,
	`api_version` text,
	`secret_sealed` text NOT NULL,
	`previous_secret_sealed` text,
	`previous_secret_expires_at` integer,
	`failing_since` integer,
	`idempotency_key` text,
	`roll_key` text,
	`created` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_endpoints_merchant_idx` ON `webhook_endpoints` (`merchant_id`,`created`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_endpoints_idempotency_idx` ON `webhook_endpoints` (`merchant_id`,`idempotency_key`);
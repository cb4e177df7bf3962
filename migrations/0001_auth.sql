DROP INDEX `api_clients_merchant_idx`;--> statement-breakpoint
CREATE INDEX `api_clients_merchant_idx` ON `api_clients` (`merchant_id`,`created`,`client_id`);--> statement-breakpoint
CREATE INDEX `merchants_created_idx` ON `merchants` (`created`,`id`);
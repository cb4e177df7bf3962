CREATE TABLE `token_redemptions` (
	`token_id` text PRIMARY KEY NOT NULL,
	`merchant_id` text NOT NULL,
	`used_by` text NOT NULL,
	`created` integer NOT NULL
);

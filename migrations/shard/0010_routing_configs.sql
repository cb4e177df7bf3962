CREATE TABLE `routing_configs` (
	`merchant_id` text NOT NULL,
	`version` integer NOT NULL,
	`rules` text NOT NULL,
	`default_connector` text,
	`created` integer NOT NULL,
	`created_by` text NOT NULL,
	PRIMARY KEY(`merchant_id`, `version`)
);

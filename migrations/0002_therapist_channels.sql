ALTER TABLE `therapist_channels` ADD `title` blob;--> statement-breakpoint
ALTER TABLE `therapist_channels` ADD `member_count` integer;--> statement-breakpoint
ALTER TABLE `therapist_channels` ADD `bound_at` integer;--> statement-breakpoint
ALTER TABLE `therapist_channels` ADD `activated_at` integer;--> statement-breakpoint
ALTER TABLE `therapist_channels` ADD `ended_at` integer;--> statement-breakpoint
CREATE INDEX `therapist_channels_couple` ON `therapist_channels` (`couple_id`);
"""Pure Block Kit builders by subject: records and pages in, message dicts out. No Slack calls, no services."""

"""Listeners: what Slack sends (commands, actions, views, events), parsed and answered; `routes.register` is the table."""

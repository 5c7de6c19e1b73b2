"""Adapters that talk to Slack on the services' behalf: outbox delivery, uploads, the user-group directory, and reading the bot's own posts back."""

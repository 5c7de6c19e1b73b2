"""The Slack surface, by job: `listeners/` (what Slack sends, and the route table), `render/` (pure Block Kit
builders), `outbound/` (adapters that talk to Slack on the services' behalf). Nothing here imports `api` or
`bot.store`; only the composition root and the entry points beside it import this package."""

from handlers.listeners.routes import register

__all__ = ["register"]

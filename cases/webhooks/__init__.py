"""Inbound webhooks, one module per source: verify the request, then parse it into NormalisedEvents."""

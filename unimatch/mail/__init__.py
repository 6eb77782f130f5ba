"""Outgoing mail: queued in the store's mail outbox by requests and
operators, sent from there by one server process over SMTP."""

"""Telegram: verifying Login Widget payloads and notifying linked chats."""

"""UniMatch: weekly introductions between university students."""

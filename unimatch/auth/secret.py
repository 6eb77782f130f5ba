"""The JWT signing secret: configured, or generated once and kept on disk."""

import logging
import os
import secrets

logger = logging.getLogger(__name__)

SECRET_FILE = "jwt-secret"


def load_or_create_secret(data_dir: str) -> str:
    """Read ``data_dir/jwt-secret``, creating it (mode 0600) on first use, so
    tokens stay valid across restarts without anyone choosing a secret."""
    os.makedirs(data_dir, mode=0o700, exist_ok=True)
    path = os.path.join(data_dir, SECRET_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as existing:
            secret = existing.read().strip()
        if not secret:
            raise RuntimeError(f"{path} is empty; delete it to generate a new secret") from None
        return secret
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as created:
        created.write(secret + "\n")
    logger.info("generated a new JWT secret in %s", path)
    return secret

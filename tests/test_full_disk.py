"""A full disk under the real server and its embedded database: answers
that say "try again later", and nothing written halfway."""

import os

from filesystems import tmpfs

PASSWORD = "correct-horse-7"
PAGE = 4096


def _fill(path):
    """Write ``path`` until the disk is full; its open descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * PAGE)
    except OSError:
        return fd


def test_a_full_disk_answers_503_and_writes_nothing_half_done(start_embedded, tmp_path):
    with tmpfs(tmp_path / "disk", size="8m") as disk:
        server = start_embedded(data_dir=disk / "data")
        first = server.register("first@example.com", PASSWORD, hobby=[1, 2])
        filler = _fill(disk / "filler")
        try:
            made, refused = [], []
            for i in range(20):
                email = f"late{i}@example.com"
                status, body = server.request("POST", "/users/api/register/",
                                              {"email": email, "password": PASSWORD, "hobby": [1]})
                if status == 201:
                    made.append(email)
                else:
                    assert (status, body) == (503, {"detail": "Service temporarily unavailable, "
                                                              "try again later."})
                    assert int(server.last_headers["Retry-After"]) > 0
                    refused.append(email)
                # A page frees up now and then (a log rotated, a temp file
                # gone): enough for some writes of a registration, not all.
                os.ftruncate(filler, os.fstat(filler).st_size - PAGE)
            assert refused
            # Reading still works while the disk is full.
            status, _ = server.request("POST", "/api/token/",
                                       {"email": "first@example.com", "password": PASSWORD})
            assert status == 200
        finally:
            os.close(filler)
        os.remove(disk / "filler")

        for email in refused:  # none of them was half made: each email is still free
            server.register(email, PASSWORD, hobby=[1])
        for email in made + refused:
            status, _ = server.request("POST", "/api/token/", {"email": email, "password": PASSWORD})
            assert status == 200, email
        status, me = server.request("GET", "/auth/users/me/", token=first["access"])
        assert (status, me) == (200, first["user"])
        server.stop()

"""One way to fill the store with students for a test: registered over the
API, as a client would, with hobby sets that overlap in a ring."""

HOBBIES = ((1, 2), (2, 3), (3, 4), (1, 4))


async def register_cohort(api, count: int, hobbies=HOBBIES, prefix: str = "student") -> list[dict]:
    """Register ``count`` students ``{prefix}{i}@example.com`` named
    ``Имя{i} Фамилия{i}``; returns the registration bodies in order."""
    users = []
    for i in range(count):
        users.append(await api.register(f"{prefix}{i}@example.com", first_name=f"Имя{i}",
                                        last_name=f"Фамилия{i}",
                                        hobby=list(hobbies[i % len(hobbies)])))
    return users

"""What the bot says (Russian, plain text)."""

import datetime as dt

HOW_TO_LINK = (
    "Этот чат не привязан к аккаунту UniMatch.\n\n"
    "Чтобы привязать его, войдите на сайт UniMatch и нажмите «Привязать Telegram»: "
    "откроется ссылка на этого бота, и он сам получит код. Ссылка действует 10 минут.")
COMMANDS = (
    "Команды:\n"
    "/status — сколько осталось до следующего раунда и кто ваш собеседник\n"
    "/pause N — пропустить раунды ближайших N недель (от 1 до 8)\n"
    "/resume — снова участвовать в раундах\n"
    "/stop — не участвовать в раундах, пока не вернётесь\n"
    "/unlink — отвязать этот чат от аккаунта\n"
    "/help — эта справка")
HELP = "UniMatch каждую неделю знакомит студентов с общими увлечениями.\n\n" + COMMANDS
CODE_INVALID = "Эта ссылка недействительна: ничего не изменилось."
CODE_EXPIRED = ("Срок действия ссылки истёк: она действует 10 минут. Ничего не изменилось.\n\n"
                "Получите новую ссылку на сайте UniMatch (кнопка «Привязать Telegram»).")
CODE_USED = ("Эта ссылка уже использована. Ничего не изменилось.\n\n"
             "Если нужно привязать чат снова, получите новую ссылку на сайте UniMatch.")
PAUSE_USAGE = "Укажите, на сколько недель поставить паузу: от 1 до 8, например /pause 2"
STOPPED = ("Вы больше не участвуете в раундах. Чат остаётся привязанным.\n"
           "Вернуться можно командой /resume или на сайте.")
TRY_LATER = "Сервис временно недоступен. Попробуйте ещё раз через минуту."
BUTTON_UNKNOWN = "Эта кнопка больше не работает."
BUTTON_NOT_LINKED = "Этот чат не привязан к аккаунту UniMatch."
BUTTON_NOT_YOURS = "Это не ваша пара: ответ не записан."
BUTTON_CLOSED = "Ответы об этой встрече больше не принимаются."
BUTTON_COUNTED = "Спасибо, ответ учтён!"


def account(user: dict) -> str:
    """How the bot names an account: its name and email."""
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return f"{name} ({user['email']})" if name else user["email"]


def date(day: dt.date | str) -> str:
    """``DD.MM.YYYY``, as Russian readers write dates."""
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return day.strftime("%d.%m.%Y")


def linked(user: dict) -> str:
    return (f"Готово! Этот чат привязан к аккаунту {account(user)}.\n"
            "Сюда будут приходить новые пары и напоминания о встречах.\n\n" + COMMANDS)


def already_linked(user: dict) -> str:
    return f"Этот чат привязан к аккаунту {account(user)}.\n\n" + COMMANDS


def chat_taken(owner: dict) -> str:
    return (f"Этот чат уже привязан к другому аккаунту: {account(owner)}. Ничего не изменилось.\n"
            "Чтобы привязать другой аккаунт, сначала отправьте /unlink, затем откройте "
            "новую ссылку с сайта.")


def unlinked(user: dict) -> str:
    return (f"Чат отвязан от аккаунта {account(user)}: уведомления сюда больше не придут.\n"
            "Привязать его снова можно с сайта UniMatch.")


def paused(until: str) -> str:
    return (f"Пауза до {date(until)} включительно: раунды до этого дня пройдут без вас, "
            "потом вы вернётесь сами. Вернуться раньше: /resume")


def resumed(next_round: dt.datetime) -> str:
    return f"Вы снова участвуете в раундах. Следующий: {when(next_round)}."


def when(moment: dt.datetime) -> str:
    return f"{date(moment.date())} в {moment.strftime('%H:%M')}"


def plural(n: int, one: str, few: str, many: str) -> str:
    """``n`` with the Russian form of its noun (1 день, 2 дня, 5 дней)."""
    if n % 10 == 1 and n % 100 != 11:
        word = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = few
    else:
        word = many
    return f"{n} {word}"


def countdown(left: dict, next_round: dt.datetime) -> str:
    """The time to the next round, from :meth:`Schedule.countdown`."""
    parts = [plural(left["days_left"], "день", "дня", "дней"),
             plural(left["hours_left"], "час", "часа", "часов"),
             plural(left["minutes_left"], "минута", "минуты", "минут")]
    return f"До следующего раунда: {', '.join(parts)} ({when(next_round)})."


def partners(people: list[dict]) -> str:
    if not people:
        return "В последнем раунде пары для вас не нашлось."
    lines = [f"• {account(p)}" for p in people]
    label = "Ваш собеседник" if len(people) == 1 else "Ваши собеседники"
    return f"{label} в этом раунде:\n" + "\n".join(lines)


def participation(user: dict, next_date: dt.date) -> str | None:
    """Why the user sits out the next round, if they do."""
    if user.get("is_active_pair") is False:
        return "Вы не участвуете в раундах (/stop). Вернуться: /resume"
    until = user.get("paused_until")
    if until and until >= next_date.isoformat():
        return f"У вас пауза до {date(until)} включительно. Вернуться раньше: /resume"
    return None

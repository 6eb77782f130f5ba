"""The wire representation on its own: user objects and pairs items."""

from unimatch.wire import pair_items, partner_json, user_json

ANN = {"_id": 1, "email": "ann@example.com", "first_name": "Ann", "last_name": "Lee",
       "birth": "0999-03-04", "chat_id": 77, "image": None, "hobby": [2, 5],
       "is_active_pair": False, "is_staff": True, "created_at": 0.0}
BOB = {"_id": 2, "email": "bob@example.com", "first_name": "Bob"}


def test_user_json_is_the_contracts_object():
    assert user_json(ANN) == {
        "id": 1, "first_name": "Ann", "last_name": "Lee", "email": "ann@example.com",
        "birth": "04-03-0999", "chat_id": 77, "image": None, "hobby": [2, 5],
        "is_active_pair": False, "paused_until": None}


def test_user_json_defaults():
    assert user_json({"_id": 3, "email": "c@example.com"}) == {
        "id": 3, "first_name": "", "last_name": "", "email": "c@example.com", "birth": None,
        "chat_id": None, "image": None, "hobby": [], "is_active_pair": True, "paused_until": None}


def test_partner_json_shows_no_private_fields():
    assert partner_json(ANN) == {"id": 1, "first_name": "Ann", "last_name": "Lee",
                                 "email": "ann@example.com"}


def test_pair_items_one_per_partner_in_the_order_given():
    pairs = [{"_id": 12, "members": [1, 2], "round": 3, "created_at": "2025-04-28", "common": [5, 9]},
             {"_id": 11, "members": [1, 3], "round": 3, "created_at": "2025-04-28", "common": []}]
    users = {1: ANN, 2: BOB}  # 3 no longer exists
    assert pair_items(1, pairs, users, {5: "Спорт"}) == [{
        "id": 12, "partner": partner_json(BOB), "created_at": "2025-04-28", "round": 3,
        "common_hobbies": ["Спорт"]}]
    assert pair_items(2, pairs[:1], users, {})[0]["partner"]["id"] == 1


def test_pair_items_carry_my_feedback_when_answers_are_given():
    pairs = [{"_id": 12, "members": [1, 2], "round": 3, "created_at": "2025-04-28", "common": []},
             {"_id": 14, "members": [1, 2], "round": 4, "created_at": "2025-05-05", "common": []}]
    users = {1: ANN, 2: BOB}
    answers = {12: {"_id": "12:1", "user_id": 1, "pair_id": 12, "round": 3, "met": True,
                    "rating": 4, "updated_at": 0.0}}
    assert [item["my_feedback"] for item in pair_items(1, pairs, users, {}, answers)] == [
        {"met": True, "rating": 4}, None]
    assert "my_feedback" not in pair_items(1, pairs, users, {})[0], "alerts do without"

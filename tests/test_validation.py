"""Request parsing on its own, with DRF's messages: what the handlers get
back, or the field errors they answer with."""

import datetime as dt

import pytest

from unimatch import validation
from unimatch.errors import FieldErrors


def errors_of(parse, data):
    with pytest.raises(FieldErrors) as caught:
        parse(data)
    return caught.value.fields


TODAY = dt.date(2026, 12, 4)


def test_registration_keeps_the_valid_fields_and_lists_every_bad_one():
    clean, errors = validation.check_registration({
        "email": "  Ann@Example.COM ", "password": "x", "first_name": None,
        "birth": "31-02-2000", "hobby": [3, "4", 3]}, TODAY)
    assert clean == {"email": "Ann@example.com", "password": "x", "first_name": "",
                     "last_name": "", "hobby": [3, 4]}
    assert errors == {"birth": [validation.BAD_DATE]}


def test_registration_requires_email_and_password():
    clean, errors = validation.check_registration({}, TODAY)
    assert errors == {"email": [validation.REQUIRED], "password": [validation.REQUIRED]}
    assert clean == {"first_name": "", "last_name": "", "birth": None, "hobby": []}


@pytest.mark.parametrize("value, expected", [
    ("20-05-2001", "2001-05-20"), ("", None), (" 01-01-1900 ", "1900-01-01"),
    ("04-12-2026", "2026-12-04")])
def test_birth_dates(value, expected):
    assert validation.birth_date(TODAY)(value) == expected


@pytest.mark.parametrize("value", ["2001-05-20", "20.05.2001", "31-02-2000", "1-1-2000", 20052001,
                                   "２０-０５-２００１", "2０-05-2001"])
def test_bad_birth_dates(value):
    assert errors_of(validation.birth_date(TODAY), value) == {"_": [validation.BAD_DATE]}


@pytest.mark.parametrize("value", ["31-12-1899", "01-01-0999", "05-12-2026"])
def test_birth_dates_out_of_range(value):
    assert errors_of(validation.birth_date(TODAY), value) == {"_": [validation.V1.birth_range]}


@pytest.mark.parametrize("value, message", [
    ({"a": 1}, 'Expected a list of items but got type "dict".'),
    ([True], "Incorrect type. Expected pk value, received bool."),
    (["x"], 'Invalid pk "x" - object does not exist.'),
    ([0], 'Invalid pk "0" - object does not exist.'),
    ([2**63], f'Invalid pk "{2**63}" - object does not exist.'),
    (["²"], 'Invalid pk "²" - object does not exist.')])
def test_bad_hobby_ids(value, message):
    assert errors_of(validation.hobby_ids, value) == {"_": [message]}


def test_emails():
    assert validation.email("a.b+c@Пример.РФ") == "a.b+c@пример.рф"
    for bad in ("no-at", "@example.com", "a@b", "a..b@example.com", "a@-x.com"):
        assert errors_of(validation.email, bad) == {"_": [validation.BAD_EMAIL]}, bad


def test_text_fields():
    assert validation.text()(" Ann ") == "Ann"
    assert validation.text()(42) == "42"  # DRF's CharField takes numbers
    for not_text in (True, ["Ann"], {"a": 1}):
        assert errors_of(validation.text(), not_text) == {"_": [validation.NOT_STRING]}
    assert errors_of(validation.text(allow_blank=False), "  ") == {"_": [validation.NOT_BLANK]}
    assert errors_of(validation.text(3), "abcd") == {
        "_": ["Ensure this field has no more than 3 characters."]}


def test_profile_changes_are_partial_and_ignore_read_only_keys():
    assert validation.parse_profile_changes(
        {"id": 9, "email": "x@y.z", "last_name": None}, TODAY) == {"last_name": ""}
    with pytest.raises(FieldErrors) as caught:
        validation.parse_profile_changes({"is_active_pair": "yes"}, TODAY)
    assert caught.value.fields == {"is_active_pair": [validation.NOT_BOOLEAN]}


def test_person_names():
    assert validation.person_name(" Анна ") == "Анна"
    assert errors_of(validation.person_name, 42) == {"_": [validation.NOT_STRING]}
    assert errors_of(validation.person_name, "A\x00") == {"_": [validation.NULL_CHARACTERS]}
    assert errors_of(validation.person_name, "A\tB") == {"_": [validation.CONTROL_CHARACTERS]}


def test_hobby_update_and_refresh_need_their_field():
    assert errors_of(validation.parse_hobby_update, {}) == {"hobby": [validation.REQUIRED]}
    assert errors_of(validation.parse_refresh, {"refresh": ""}) == {"refresh": [validation.NOT_BLANK]}
    assert validation.parse_refresh({"refresh": "abc"}) == "abc"


def test_unknown_hobbies_name_the_first():
    assert validation.unknown_hobbies_error([99, 100]).fields == {
        "hobby": ['Invalid pk "99" - object does not exist.']}


def test_hobby_ids_written_as_whole_floats_are_ids():
    # The OpenAPI "integer" includes 2.0, and DRF's lookup accepted it.
    assert validation.hobby_ids([2.0, 3, 3.0]) == [2, 3]
    for value in (1.5, 1e300, float("inf")):
        assert errors_of(validation.hobby_ids, [value]) == {
            "_": ["Incorrect type. Expected pk value, received float."]}

"""PII never reaches a log line: tax ids, phones and e-mails are masked, request ids attached."""

import json
import logging
import sys

from django.http import HttpResponse
from django.test import RequestFactory

from common.logging import MaskingFormatter, MaskingJsonFormatter, MaskPiiFilter, RequestIdFilter, mask_pii
from common.request_id import RequestIdMiddleware, bind_request_id, current_request_id


def test_mask_pii_hides_tax_ids_phones_and_emails() -> None:
    text = mask_pii("cpf 11144477735 cnpj 11222333000181 phone +5511987654321 mail maria.silva@example.com")
    assert "11144477735" not in text and "*********35" in text
    assert "11222333000181" not in text and "************81" in text
    assert "+5511987654321" not in text and "+5511*******21" in text
    assert "maria.silva@" not in text and "m***@example.com" in text


def test_formatted_tax_ids_are_masked_and_uuids_left_alone() -> None:
    assert mask_pii("cpf 111.444.777-35 and cnpj 11.222.333/0001-81") == "cpf *** and cnpj ***"
    uid = "123e4567-e89b-12d3-a456-426614174000"
    assert mask_pii(f"entry {uid}") == f"entry {uid}"


def test_log_records_are_masked_and_carry_the_request_id() -> None:
    bind_request_id("req-12345678")
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "key %s for %s", ("+5511987654321", "a@b.com"), None)
    record.tax_id = "11144477735"
    assert MaskPiiFilter().filter(record) and RequestIdFilter().filter(record)
    assert record.getMessage() == "key +5511*******21 for a***@b.com"
    assert record.tax_id == "***"
    assert record.request_id == "req-12345678"


def test_a_request_path_cannot_forge_a_log_line() -> None:
    """gunicorn's access line carries the decoded path: %0a, %0d and %00 in it stay on one escaped line."""
    atoms = {"m": "GET", "U": "/api/v1/med/refunds/\nINJECTED-LINE\r\x00/", "s": "404"}
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, '"%(m)s %(U)s" %(s)s', (atoms,), None)
    MaskPiiFilter().filter(record)
    rendered = MaskingFormatter("%(message)s").format(record)
    assert rendered == '"GET /api/v1/med/refunds/\\nINJECTED-LINE\\r\\x00/" 404'
    assert "\n" not in rendered and "\x00" not in rendered


def test_a_control_character_next_to_a_cpf_does_not_unmask_it() -> None:
    """Escaping first would write ``\\x01`` then the CPF's digits, which no longer look like a CPF."""
    for text in ("cpf \x0112345678909", "\x1b12345678909"):
        record = logging.LogRecord("t", logging.INFO, __file__, 1, text, None, None)
        rendered = MaskingFormatter("%(message)s").format(record)
        assert "12345678909" not in rendered and "*********09" in rendered


def test_lookup_paths_are_masked_whatever_the_key() -> None:
    evp = "123e4567-e89b-12d3-a456-426614174000"
    assert mask_pii(f"Not Found: /api/v1/lookup/{evp}/") == "Not Found: /api/v1/lookup/***/"
    assert mask_pii("GET /api/v1/lookup/a@b.com/?x=1") == "GET /api/v1/lookup/***/?x=1"


def test_the_logger_name_is_not_mistaken_for_a_persons_name() -> None:
    record = logging.LogRecord("keys.services", logging.INFO, __file__, 1, "x", None, None)
    record.owner_name = "Maria"
    MaskPiiFilter().filter(record)
    assert (record.name, record.owner_name) == ("keys.services", "***")


def test_tracebacks_are_masked_too() -> None:
    try:
        raise ValueError("no holder with CPF 11144477735")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    for formatter in (MaskingFormatter(), MaskingJsonFormatter()):
        rendered = formatter.format(record)
        assert "11144477735" not in rendered
        assert "no holder with CPF *********35" in rendered


def test_json_lines_mask_every_field_such_as_djangos_request() -> None:
    """Django logs 4xx/5xx with the request as an extra field; its repr holds a lookup's key."""
    request = RequestFactory().get("/api/v1/lookup/alice.smith@example.com/")
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (request.path,), None)
    record.request = request
    record.status_code = 404
    record.detail = {"keys": ["+5511987654321"]}
    MaskPiiFilter().filter(record)

    rendered = json.loads(MaskingJsonFormatter().format(record))

    assert "alice.smith" not in json.dumps(rendered) and "5511987654321" not in json.dumps(rendered)
    assert rendered["request"] == "<WSGIRequest: GET '/api/v1/lookup/***/'>"
    assert (rendered["status_code"], rendered["detail"]) == (404, {"keys": ["+5511*******21"]})


def test_a_traceback_another_formatter_rendered_first_is_masked_too() -> None:
    """logging keeps a rendered traceback on the record (exc_text), and later formatters reuse it as it is."""
    try:
        raise ValueError("no holder with CPF 11144477735")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "boom", None, sys.exc_info())
    logging.Formatter().format(record)  # e.g. a handler a library attached, before ours
    assert "CPF 11144477735" in record.exc_text

    for formatter in (MaskingFormatter(), MaskingJsonFormatter()):
        rendered = formatter.format(record)
        assert "11144477735" not in rendered
        assert "no holder with CPF *********35" in rendered


def test_a_request_id_ends_with_its_request(rf) -> None:
    """Log lines after a request (the next one on this thread, a background job) must not carry its id."""
    seen, before = [], current_request_id()
    middleware = RequestIdMiddleware(lambda request: seen.append(current_request_id()) or HttpResponse())
    response = middleware(rf.get("/", HTTP_X_REQUEST_ID="req-87654321"))
    assert seen == ["req-87654321"] and response["X-Request-ID"] == "req-87654321"
    assert current_request_id() == before != "req-87654321"

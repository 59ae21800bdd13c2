import logging

from wecom.logging import mask


def test_it_masks_access_token_and_corpsecret():
    url = "/cgi-bin/gettoken?corpid=ww1&corpsecret=s3cr3t-value&x=1"
    assert mask(url) == "/cgi-bin/gettoken?corpid=ww1&corpsecret=***&x=1"
    assert mask("'/cgi-bin/meeting/update?access_token=abc.DEF-123'") == (
        "'/cgi-bin/meeting/update?access_token=***'"
    )
    assert mask("nothing to hide") == "nothing to hide"


def test_it_masks_urllib3_records_before_any_handler_sees_them(caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s',
        "http",
        "127.0.0.1",
        8900,
        "POST",
        "/cgi-bin/meeting/update?access_token=TOKEN123",
        "HTTP/1.1",
        200,
        27,
    )
    [record] = [r for r in caplog.records if r.name == "urllib3.connectionpool"]
    assert "TOKEN123" not in record.getMessage()
    assert "access_token=***" in caplog.text


def test_it_masks_tracebacks_of_guarded_loggers(caplog):
    caplog.set_level(logging.DEBUG)
    try:
        raise RuntimeError("GET /cgi-bin/gettoken?corpid=ww&corpsecret=TOPSECRET")
    except RuntimeError:
        logging.getLogger("urllib3.connection").exception("failed")
    assert "TOPSECRET" not in caplog.text
    assert "corpsecret=***" in caplog.text

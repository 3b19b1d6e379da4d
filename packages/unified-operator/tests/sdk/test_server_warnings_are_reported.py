"""The API server's `Warning` headers, read as client-go reads them: code 299 only, the quoted text
unescaped, several per header allowed, anything malformed skipped; each one logged as a WARNING."""

import logging

from training_operator.unified.sdk import serverwarnings


def test_warning_headers_give_their_texts():
    headers = [
        '299 - "spec.elasticPolicy.nProcPerNode is deprecated, use spec.nprocPerNode instead"',
        '299 - "field \\"x\\" is gone", 299 api.example.com "a second one"',
        '199 - "not a warning the API server sends"',
        "garbage",
    ]
    assert serverwarnings.texts(headers) == [
        "spec.elasticPolicy.nProcPerNode is deprecated, use spec.nprocPerNode instead",
        'field "x" is gone',
        "a second one",
    ]


def test_each_warning_is_logged(caplog):
    caplog.set_level(logging.WARNING, logger=serverwarnings.WARNING_LOG.name)
    serverwarnings.report(['299 - "one"', '299 - "two"'])
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "one"),
        (logging.WARNING, "two"),
    ]

"""The WSGI entry point the servers run (thuocdo.config.wsgi): whole bodies as one chunk, streams untouched."""

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.signals import request_finished
from django.http import StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from thuocdo.config.wsgi import application


def _stream(request):  # type: ignore[no-untyped-def]
    return StreamingHttpResponse(iter([b"mot ", b"hai ", b"ba"]), content_type="text/plain")


urlpatterns = [path("dong", _stream)]


def _environ(path_info: str) -> dict[str, object]:
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": path_info, "QUERY_STRING": "", "SERVER_NAME": "localhost",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(),
    }  # fmt: skip


class _Start:
    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        self.status, self.headers = status, dict(headers)


@contextmanager
def _finished_requests() -> Iterator[list[bool]]:
    """A list that gets an item each time Django's request_finished signal fires."""
    finished: list[bool] = []

    def receiver(**kwargs):  # type: ignore[no-untyped-def]
        finished.append(True)

    request_finished.connect(receiver)
    try:
        yield finished
    finally:
        request_finished.disconnect(receiver)


@pytest.mark.django_db(transaction=True)
def test_a_whole_response_is_one_chunk_and_the_request_is_finished_before_it_is_sent():
    with _finished_requests() as finished:
        start = _Start()
        body = application(_environ("/healthz"), start)
        # The server gets a list (sent in one call) and has nothing left to close.
        assert isinstance(body, list) and len(body) == 1
        assert finished == [True]
    assert start.status.startswith("200")
    assert b'"status"' in body[0] and start.headers["Content-Type"] == "application/json"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_streaming_response_is_left_to_the_server():
    with _finished_requests() as finished:
        body = application(_environ("/dong"), _Start())
        assert not isinstance(body, list) and finished == []  # not read nor closed here
        assert b"".join(body) == b"mot hai ba"
        body.close()  # type: ignore[attr-defined]
        assert finished == [True]


def test_a_settled_worker_keeps_its_loaded_objects_out_of_full_collections():
    import gc

    from thuocdo.config.wsgi import settle

    assert gc.get_freeze_count() == 0  # tests never freeze (settings.TESTING)
    try:
        settle()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the URL patterns, views and settings, among others
        assert len(gc.get_objects(generation=2)) < frozen / 10
    finally:
        gc.unfreeze()

"""The WSGI application that `make serve` (granian) and gunicorn run.

Django hands the server its HttpResponse object, an iterable to be walked and then closed. granian
walks such an iterable from its own threads, taking the GIL back for each step and for close(); a
response whose body is already whole is instead passed back as a one-item list, which granian sends
in one call. At 1,000 survey submissions a second that saved about 1.5 of the 18 context switches a
request cost (docs/benchmarks.md, session 6). close() runs here, as the server would have run it
after the body: the request_finished signal (connection clean-up) fires just before the bytes are
sent instead of just after. Streaming and file responses are passed on untouched.

Once loaded, a worker moves what it has built (settings, every URL pattern and the modules behind
them: some 87,000 objects) out of the garbage collector's sight with gc.freeze(). Those objects live
as long as the process, yet a full collection walked them all: ≈ 45 ms holding the GIL once every
≈ 10,000 submissions, which stalled every request of that worker and set the p99 of a benchmark
round (docs/benchmarks.md, session 6). Frozen, none came in a run of 20,000 submissions.
"""

import gc
import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thuocdo.config.settings")
django_application = get_wsgi_application()


def settle() -> None:
    """Load what the first request would (the URL patterns import every view module), then freeze it."""
    get_resolver().url_patterns  # noqa: B018 - the import is the point
    gc.collect()
    gc.freeze()


if not settings.TESTING:  # a test process keeps collecting what its tests leave behind
    settle()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    response = django_application(environ, start_response)
    if isinstance(response, HttpResponse):
        try:
            return [response.content]
        finally:
            response.close()
    return response

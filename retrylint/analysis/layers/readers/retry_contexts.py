"""Form ``context``: a retry context, only ever iterated (``for attempt in
stamina.retry_context(on=...): with attempt: ...``)."""

from __future__ import annotations

from retrylint.analysis.layers.readers.base import FormReader
from retrylint.analysis.layers.readers.retrying_objects import read_iteration


class RetryContextReader(FormReader):
    form = "context"
    at_loop = staticmethod(read_iteration)

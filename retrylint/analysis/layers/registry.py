"""Which reader reads each catalog ``form``: the one place a new form is added.

    form          reader module                  what it reads
    decorator     readers/decorators.py          ``@retry(...)``, ``retry(...)(fn)``
    retrying      readers/retrying_objects.py    ``for attempt in Retrying(...)``, ``Retrying(...)(fn)``
    context       readers/retry_contexts.py      ``for attempt in stamina.retry_context(...)``
    call-site     readers/call_sites.py          ``queue.enqueue(f, retry=Retry(max=3))``
    policy        readers/policy_objects.py      ``Retry(...)``, ``runnable.with_retry(...)``
    raise         readers/raised_retries.py      ``raise Retry(defer=5)``, ``raise RetryTask``
    task          readers/task_queues.py         ``@app.task(...)``, ``class Job(Task)``, ``self.retry()``
    billable-call readers/billable_calls.py      ``client.create(response_model=M, max_retries=3)`` (instructor)
    tool          readers/agent_tools.py         ``@agent.tool(retries=3)``, ``Tool(f, max_retries=3)`` (pydantic-ai)

Five readers need no catalog form: ``readers/entry_points.py`` (configured ``[[entrypoint]]``
functions), ``readers/hand_loops.py`` (hand-written ``for``/``while`` retry loops),
``readers/recursion.py`` (``except ...: return self.execute(..., attempt + 1)``),
``readers/built_elsewhere.py`` (a catalog layer built by a factory or held in a constant, and
applied here: ``@retry_decorator``) and ``readers/wrapping_decorators.py`` (a project decorator
whose wrapper retries the function it is given: ``@retry_on_error()``). How a
layer's arguments read as a policy is its ``dialect``: see ``dialects/``."""

from __future__ import annotations

from retrylint.analysis.layers.readers.agent_tools import AgentToolReader
from retrylint.analysis.layers.readers.base import FormReader
from retrylint.analysis.layers.readers.billable_calls import BillableCallReader
from retrylint.analysis.layers.readers.call_sites import CallSiteReader
from retrylint.analysis.layers.readers.decorators import DecoratorReader
from retrylint.analysis.layers.readers.policy_objects import PolicyObjectReader
from retrylint.analysis.layers.readers.raised_retries import RaisedRetryReader
from retrylint.analysis.layers.readers.retry_contexts import RetryContextReader
from retrylint.analysis.layers.readers.retrying_objects import RetryingReader
from retrylint.analysis.layers.readers.task_queues import TaskReader

READERS: dict[str, FormReader] = {
    reader.form: reader()
    for reader in (
        DecoratorReader, RetryingReader, RetryContextReader, CallSiteReader, PolicyObjectReader,
        RaisedRetryReader, TaskReader, BillableCallReader, AgentToolReader,
    )
}


def reader_for(form: str) -> FormReader | None:
    """The reader of ``form``; None for a form no reader knows."""
    return READERS.get(form)

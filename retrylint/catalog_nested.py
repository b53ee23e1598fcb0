"""Nested tables of the framework layers, declared like those in catalog_specs.py: a client's
config object that sets its retries, a queue's redelivery of a task, and semantics that changed at
a library version (read from what the project pins)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrylint.catalog_schema import key


@dataclass(frozen=True)
class RedeliverySpec:
    """A queue that hands a task's message back, with no count, when the worker running it dies
    (Celery ``acks_late`` + ``reject_on_worker_lost``): a second, unbounded layer on the task."""

    flags: tuple[str, ...] = key((), doc="task options that must all be true")
    setting_prefix: str | None = key(doc="an app setting named prefix + flag gives a flag the task leaves out")
    capped_by: str | None = key(doc="a flag that sends it through the task's own retries instead (their cap applies)")
    off: tuple[str, ...] = key((), doc="options of which the first given (or set in the app) must be false; none given counts as true (Celery acks_on_timeout, then acks_on_failure_or_timeout)")
    given: tuple[str, ...] = key((), doc="options that must be set to something other than None (a hard time_limit)")
    broker_kinds: tuple[str, ...] = key((), doc="'glob=Name=seconds' for each kind of broker it needs (kombu's Redis transport: 'redis://*=Redis=3600'): the first whose glob the broker URL is known to match names the broker ({broker} in label and note, {a_broker} with its article in label) and gives window_key's default; given, a broker whose URL is not known to match one keeps it off")
    broker_settings: tuple[str, ...] = key((), doc="app settings (or app constructor keywords) giving the broker URL, the first found wins")
    window_setting: str | None = key(doc="the app setting whose dict holds window_key (broker_transport_options)")
    window_key: str | None = key(doc="how long a message may stay unacked before the broker hands it out again (visibility_timeout, seconds)")
    unknown_window_keys: tuple[str, ...] = key((), doc="keys of window_setting's dict that leave the window unknown (kombu SQS predefined_queues: queues made elsewhere keep the visibility timeout they were made with)")
    outlived_by: tuple[str, ...] = key((), doc="options (or app settings) that end every run: one of them at most the window keeps it off ({limit} in note names what is set)")
    guards_end_it: bool = key(False, doc="a task whose paid calls all skip work already done (a guard, an idempotency key) does less on each run, so its redeliveries end: not reported")
    outlived_per_item: bool = key(False, doc="with none of outlived_by given and the window at its default or longer, a run outlasts it only when a paid call runs once per item of a loop: a fixed number of paid calls ends within their SDKs' request timeouts, so it is not reported")
    label: str | None = key()
    note: str | None = key(doc="what the finding adds: when it fires and the way out")


@dataclass(frozen=True)
class ActorsSpec:
    """Where a queue's actors take options besides their decorator (Dramatiq 2.2.1 generic.py: a
    ``task_base`` subclass is an actor whose options are the attributes of its inner ``Meta``;
    middleware/retries.py: the broker's ``Retries`` gives those an actor leaves out)."""

    options_class: str | None = key(doc="the inner class of a task_base subclass holding its options (Meta): the nearest of the class's and its bases' applies, its own attributes only")
    abstract: str | None = key(doc="an attribute that, true in the class's own options class, makes it no actor but a base for actors, which inherit that options class")
    middleware: tuple[str, ...] = key((), doc="qualified names of the broker's retry middleware (Retries), whose keywords give the options an actor leaves out")
    middleware_options: tuple[str, ...] = key((), doc="those keywords")
    falsy_defaults: tuple[str, ...] = key((), doc="those of them that keep the middleware's own default when 0 or None (min_backoff or DEFAULT_MIN_BACKOFF)")
    brokers: tuple[str, ...] = key((), doc="qualified names of the broker classes: made without middleware_param they have the retry middleware with its defaults")
    middleware_param: str | None = key(doc="the broker's keyword (and attribute) holding its whole middleware list")
    add_method: str | None = key(doc="the broker's method adding one more middleware")
    setters: tuple[str, ...] = key((), doc="functions setting the broker actors use unless they name their own (set_broker); read when the project calls one exactly once")
    broker_param: str | None = key(doc="the actor's keyword (or options class attribute) naming its own broker")


@dataclass(frozen=True)
class AppSettingsSpec:
    """Where a queue's app settings are written besides ``app.conf.NAME = ...`` and
    ``app.conf.update(NAME=...)`` (Celery: the app's constructor keywords, and the module or class
    that ``config_from_object`` loads, with its ``namespace``)."""

    objects: tuple[str, ...] = key((), doc="qualified names of the app class, whose constructor keywords are settings")
    renames: tuple[str, ...] = key((), doc="'keyword:setting' for constructor keywords named otherwise than their setting (Celery broker: broker_url)")
    loaders: tuple[str, ...] = key((), doc="app methods loading settings from the top-level names of a module ('module' or 'module:attribute') or of an imported module or class")
    namespace_param: str | None = key(doc="the loader's keyword naming a prefix: its settings are NAMESPACE_ + the name upper-cased")
    env_modules: tuple[str, ...] = key((), doc="'target=VARIABLE': a loader target standing for the module an environment variable names, read from os.environ.setdefault(VARIABLE, 'module') in the loading module (Django settings)")
    shared: tuple[str, ...] = key((), doc="task decorators bound to no app (Celery shared_task): the settings of the one module under the import root that makes an app apply")
    old_names: tuple[str, ...] = key((), doc="'OLD_NAME:setting': a setting's name before the current scheme, still read where no namespace is given (Celery 3's CELERY_ACKS_LATE)")


@dataclass(frozen=True)
class ClientConfigSpec:
    """A config object (or a dict) passed to the client's constructor whose dict keyword sets
    the retries (botocore ``Config(retries={"mode": "standard", "max_attempts": 4})``, google-genai
    ``HttpOptions(retry_options=HttpRetryOptions(attempts=3))``)."""

    param: str | None = key(doc="the constructor keyword taking it")
    objects: tuple[str, ...] = key((), doc="qualified names of the config classes")
    keyword: str | None = key(doc="the config's keyword holding the retries dict; none: the config's own keywords (or a dict)")
    retries_key: str | None = key(doc="the dict key counting retries after the first call")
    total_key: str | None = key(doc="the dict key counting every attempt (wins over retries_key)")
    mode_key: str | None = key()
    legacy_mode: str | None = key(doc="a mode with other default retries")
    legacy_retries: int = key(0, doc="the retries of legacy_mode when no count is given")
    keyword_objects: tuple[str, ...] = key((), doc="objects the keyword may hold in place of a dict, their keywords read as its keys (google-genai HttpRetryOptions)")
    given_total: int | None = key(doc="attempts when the keyword is given with no count (HttpRetryOptions(): 5)")


@dataclass(frozen=True)
class OlderSpec:
    """What a parameter meant before a version: used when the project pins an older one
    (pyproject.toml, uv.lock, poetry.lock, requirements*.txt, Pipfile.lock), never otherwise."""

    package: str | None = key(doc="the distribution whose pinned version decides")
    below: str | None = key(doc="the first version with today's semantics")
    counts: Literal["attempts", "retries"] | None = key(doc="what the attempts keyword counted then")
    retry_all: bool = key(False, doc="it retried every exception then")
    default_retries: int | None = key(doc="a client's retries by default then")
    note: str | None = key(doc="what messages say of those semantics")
    implied_by: str | None = key(doc="a distribution whose pin implies the package's version when the package is not pinned itself (boto3 for botocore)")
    minor_offsets: tuple[str, ...] = key((), doc="'FROM:N': from implied_by's version FROM on, the package's version is implied_by's with its minor number raised by N (the last FROM not above it applies)")


@dataclass(frozen=True)
class SettingsObjectSpec:
    """A billable call whose retry options sit in a settings object reached through keywords
    (OpenAI Agents ``Runner.run(agent, run_config=RunConfig(model_settings=ModelSettings(retry=
    ModelRetrySettings(max_retries=2, policy=...))))``, or the agent's own ``model_settings``)."""

    paths: tuple[str, ...] = key((), doc="keyword paths to it, the first found wins: 'a.b.c' is keyword c of the object keyword b of the object the call's keyword a holds; a first segment 'name:N' is keyword name or positional argument N")
    objects: tuple[str, ...] = key((), doc="qualified names of the settings object")
    requires: str | None = key(doc="a keyword it never retries without (attempts 1)")
    client_off: bool = key(False, doc="its attempts keyword given as 0 turns the SDK client's own retries off too")


@dataclass(frozen=True)
class TurnsSpec:
    """A billable call that sends up to N paid requests itself, one per turn of an agent loop
    (OpenAI Agents ``Runner.run(max_turns=10)``): ``report`` multiplies the billed calls by N."""

    param: str | None = key(doc="the keyword capping the turns (None given: no cap)")
    default: int | None = key(doc="turns when it is absent")


@dataclass(frozen=True)
class FallbacksSpec:
    """Other model groups a client tries when the first fails, each with all its retries (LiteLLM
    ``Router(fallbacks=[{"gpt-4o": ["gpt-4o-mini", "claude"]}])``): attempts multiply by 1 + the
    fallback groups tried, read from lists written as literals, following a failed fallback's own
    list (or the generic one) as deep as the depth cap allows (analysis/client_fallbacks.py)."""

    param: str | None = key(doc="the constructor keyword: a list of {model group: fallback group or list of them}, '*' for every group")
    default_param: str | None = key(doc="a constructor keyword listing the groups every model group without a list of its own falls back to (default_fallbacks)")
    off_param: str | None = key(doc="a keyword capping the depth of fallback chains (max_fallbacks); 0 or less turns them off")
    depth: int = key(1, doc="that depth when the keyword is absent")
    error_params: tuple[str, ...] = key((), doc="constructor keywords of fallback lists taken on one error the client then does not retry, one request a group")
    model_param: str | None = key(doc="the call's keyword naming the model group the call starts at")
    disable_param: str | None = key(doc="a call keyword that, true, tries no fallbacks (a call's own 'param' replaces the constructor's lists)")


@dataclass(frozen=True)
class GivenClientSpec:
    """An SDK client handed to a framework, whose own retries replace the default client's under
    the framework's calls (OpenAI Agents ``Agent(model=OpenAIChatCompletionsModel(model=...,
    openai_client=AsyncOpenAI(max_retries=0)))``, ``set_default_openai_client(AsyncOpenAI(...))``)."""

    paths: tuple[str, ...] = key((), doc="keyword paths from the billable call to the client, the first found wins: each segment 'name' or 'name:N' (keyword name or positional argument N) of the object the previous one holds")
    objects: tuple[str, ...] = key((), doc="the objects on the way that hold a client (a path reaching one whose client cannot be read counts no client)")
    setters: tuple[str, ...] = key((), doc="'<qualified name>:N': calls anywhere in the package that make their argument N (or keyword client) the default client when no path leads to one")


@dataclass(frozen=True)
class MadeWithSpec:
    """A client that counts as made by one of a layer's ``made_by`` when a method of the chain of
    calls building it is handed an object whose keyword holds one of the values (Guardrails
    ``Guard().use(ToxicLanguage(on_fail="reask"))``: a validator that re-asks)."""

    methods: tuple[str, ...] = key((), doc="the chain's methods handed such objects (use)")
    keyword: str | None = key(doc="the object's keyword (on_fail)")
    values: tuple[str, ...] = key((), doc="its string values that count, whatever their case")
    names: tuple[str, ...] = key((), doc="qualified names of constants that count too (OnFailAction.REASK)")


@dataclass(frozen=True)
class CallsThroughSpec:
    """A framework's call that calls the paid function it is handed (Guardrails ``guard(llm_api=
    openai.chat.completions.create, ...)``), or, given only a model, a module client's function
    (``guard(model="gpt-4o", ...)``: ``litellm.completion``), with the call's other arguments: that
    function's SDK client is the one under the call, not the framework's."""

    keyword: str | None = key(doc="the keyword handing the paid function")
    position: int | None = key(doc="its position, in the calls named by position_calls")
    position_calls: tuple[str, ...] = key((), doc="the client's calls that take it by position too (__call__)")
    model_keyword: str | None = key(doc="a keyword naming a model, which without the function sends the call through model_call")
    model_call: str | None = key(doc="the qualified name of that module client's function (litellm.completion)")


@dataclass(frozen=True)
class ModelProvidersSpec:
    """A factory that builds the SDK client its model string names (instructor ``from_provider(
    "openai/gpt-4o")``, LangChain ``init_chat_model("openai:gpt-4o")``): the providers whose client
    it builds retries by itself when the retries keyword is absent."""

    position: int | None = key(doc="where the model string is passed")
    keyword: str | None = key()
    separator: str = key("/", doc="what ends the provider's name in the model string")
    provider_keyword: str | None = key(doc="a keyword naming the provider, which wins over the model string's prefix")
    retrying: tuple[str, ...] = key((), doc="providers whose SDK client retries by default")
    retries: int = key(0, doc="those clients' default retries")


@dataclass(frozen=True)
class RunnableSpec:
    """A layer that retries the object it is called on (LangChain ``model.with_structured_output(
    S).with_retry(...)``): when that chain starts at a billable model, each retry invokes it again."""

    through: tuple[str, ...] = key((), doc="methods returning a runnable that still invokes the model they are called on")
    parses: tuple[str, ...] = key((), doc="those of them that parse the model's answer after the paid call (it can fail)")
    invokes: str = key("invoke", doc="the model's method each attempt runs")


@dataclass(frozen=True)
class DefaultsSpec:
    """Options a surrounding object supplies when the layer's call leaves them out (Airflow's
    ``DAG(default_args={"retries": 3})``)."""

    keyword: str | None = key(doc="the keyword holding them")
    from_: tuple[str, ...] = key((), toml="from", doc="the calls that take it")
    object_param: str | None = key(doc="the layer call's keyword naming that object (dag=)")
    receiver_method: str | None = key(doc="a method of the layer call's receiver whose policy_param applies when the call gives none (LangGraph builder.set_node_defaults); for a billable call, whose keywords do (Guardrails guard.configure(num_reasks=3))")
    falsy_ignored: bool = key(False, doc="receiver_method ignores a keyword given a falsy value (Guardrails configure(num_reasks=0) sets nothing)")


@dataclass(frozen=True)
class AgentToolsSpec:
    """An agent's tools, each run again (after a billed model turn that appends the error) while it
    raises what the layer retries, on a budget of its own or else the agent's (pydantic-ai
    ``@agent.tool(retries=3)``, ``Tool(f, max_retries=3)``, ``Agent(tools=[f])``, ``Agent(retries=2)``
    or ``retries={"tools": 2}``); a run of the agent may spend the largest budget of its tools and
    output objects (``ToolOutput(T, max_retries=3)``)."""

    agents: tuple[str, ...] = key((), doc="qualified names of the agent classes")
    default_keyword: str | None = key(doc="the agent constructor's keyword giving the budget of every tool without one (retries)")
    default_key: str | None = key(doc="the key of the tools' budget when that keyword holds a dict ({'tools': 3, 'output': 1})")
    tool_keyword: str | None = key(doc="an older keyword giving the tools' budget alone, over default_keyword (1.x tool_retries)")
    budget_keywords: tuple[str, ...] = key((), doc="the agent constructor's keywords of other budgets a run may spend (1.x output_retries, tool_retries)")
    decorators: tuple[str, ...] = key((), doc="the agent's methods registering the function they decorate or are handed as a tool")
    decorator_keyword: str | None = key(doc="their keyword giving the tool's budget (retries)")
    list_keyword: str | None = key(doc="the agent constructor's keyword listing tools: functions, or tool objects")
    objects: tuple[str, ...] = key((), doc="qualified names of the tool objects, handed the function first or as 'function'")
    outputs: tuple[str, ...] = key((), doc="qualified names of output objects with a budget of their own")
    output_keyword: str | None = key(doc="the agent constructor's keyword taking them (output_type)")
    object_keyword: str | None = key(doc="the tool and output objects' keyword giving their budget (max_retries)")

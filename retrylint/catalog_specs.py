"""The catalog's tables as typed specs: each field is one TOML key (see catalog_schema.key), nested
specs mirror nested tables (``attempts = { param = "max_tries" }``). The reader, the checks and
the JSON Schema (rules/catalog.schema.json) all come from these declarations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from retrylint.catalog_schema import Choice, json_schema_of, key
from retrylint.catalog_nested import (ActorsSpec, AgentToolsSpec, AppSettingsSpec, CallsThroughSpec, ClientConfigSpec, DefaultsSpec,
                                      FallbacksSpec, GivenClientSpec, MadeWithSpec, ModelProvidersSpec, OlderSpec, RedeliverySpec,
                                      RunnableSpec, SettingsObjectSpec, TurnsSpec)
from retrylint.catalog_sections import Counts, ExceptionSetSpec, FieldsSection, HttpSection, InfallibleSection, LoopsSection, TenacitySection

Unbounded = Literal["unbounded"]


def in_unit(attempts: int, counts: str) -> int:
    """A total of ``attempts`` as a keyword counting ``counts`` writes it: a count of retries
    leaves out the first run. The one place a total becomes a library's unit."""
    return attempts - 1 if counts == "retries" else attempts


class Form(Choice):
    """How a layer is written; each form has one reader (analysis/layers/registry.py)."""

    DECORATOR = "decorator"
    RETRYING = "retrying"
    CONTEXT = "context"
    CALL_SITE = "call-site"
    POLICY = "policy"
    RAISE = "raise"
    TASK = "task"
    BILLABLE_CALL = "billable-call"
    TOOL = "tool"


class Dialect(Choice):
    """How a layer's arguments read as a policy (analysis/layers/dialects/)."""

    TENACITY = "tenacity"
    KWARGS = "kwargs"


class Kind(Choice):
    """What a billable call costs."""

    LLM = "llm"
    PAYMENT = "payment"
    MESSAGE = "message"


@dataclass(frozen=True)
class AttemptsSpec:
    """How many attempts a layer makes."""

    param: str | None = key(doc="the keyword holding the attempt count")
    default: int | None = key(none_word="unbounded", doc="attempts when the keyword is absent")
    counts: Counts = key("attempts", doc="'retries': attempts = value + 1 (the fix's cap is written in this unit too)")
    none: Literal["unbounded", "default"] = key("unbounded", doc="what an explicit None means")
    nonpositive: Unbounded | None = key(doc="'unbounded' when 0 or less never stops")
    true: Unbounded | None = key(doc="'unbounded' when param=True retries forever")
    other_caps: tuple[str, ...] = key((), doc="keywords that cap the attempts too when not None")
    position: int | None = key(doc="the attempts argument's position when not passed as a keyword")

    def total(self, value: int) -> int:
        return value + 1 if self.counts == "retries" else value

    def written(self, attempts: int) -> int:
        """The value of the attempts keyword for a total of ``attempts``."""
        return in_unit(attempts, self.counts)


@dataclass(frozen=True)
class DeadlineSpec:
    """Keywords whose value caps the total time (None or absent: no cap)."""

    params: tuple[str, ...] = key(())
    default: float | None = key(doc="seconds when absent")
    nonpositive: Unbounded | None = key()


@dataclass(frozen=True)
class RetryOnSpec:
    """Which exceptions trigger a retry; every exception when absent."""

    param: str | None = key()
    position: int | None = key(doc="the positional index of param")
    none: bool = key(False, doc="retries on results or by hand only, never on an exception")
    predicate_params: tuple[str, ...] = key((), doc="keywords taking a callable that decides whether to retry")
    predicate_replaces_attempts: bool = key(False)
    default: tuple[str, ...] = key((), doc="what it retries when param is absent (qualified names); empty: every exception")


@dataclass(frozen=True)
class WaitGeneratorSpec:
    """A wait generator the layer is given (backoff's ``wait_gen``, whose own keywords the layer's
    call passes through): where it is, and which of its keywords wait nothing when given as 0."""

    param: str | None = key(doc="the keyword holding the generator")
    position: int | None = key(doc="the positional index of param")
    zero_when: tuple[str, ...] = key((), doc="'<qualified name of a generator>:<keyword>': that keyword = 0 makes every wait 0")


@dataclass(frozen=True)
class BackoffSpec:
    """Whether the layer waits between attempts."""

    waits: bool = key(False, doc="the library always waits")
    delay_params: tuple[str, ...] = key((), doc="a delay before each retry: 0 means no wait")
    growth_params: tuple[str, ...] = key((), doc="a truthy value makes the delay grow")
    wait_params: tuple[str, ...] = key((), doc="any of them given means the layer waits")
    jitter_params: tuple[str, ...] = key((), doc="a random wait added to the delay unless given a falsy value (on by default)")
    generator: WaitGeneratorSpec = key(factory=WaitGeneratorSpec)


@dataclass(frozen=True)
class FixSpec:
    """What the autofixes write."""

    cap: str | None = key(doc="the keyword a cap is written to, in the unit of attempts.counts")
    never_retry: str | None = key(doc="the keyword a non-retryable list is written to")
    never_retry_style: Literal["tuple", "predicate"] = key("tuple", doc="'predicate': the keyword takes a callable")
    backoff: str | None = key(doc="the keyword backoff is written to")


@dataclass(frozen=True)
class TargetSpec:
    """Where a call takes what it acts on: the retried function of a call-site layer
    (``queue.enqueue(f, retry=Retry(max=3))``), the SDK client a wrapper client wraps."""

    position: int | None = key()
    keyword: str | None = key()
    alone_position: int | None = key(doc="where it is when neither position nor keyword holds it (LangGraph add_node(fn): the function names the node)")
    method_keyword: str | None = key(doc="a keyword holding a method of it instead (instructor.patch(create=client.messages.create))")


class _Nested:
    """A read-only attribute that is a key of a nested spec (``spec.fix_cap`` is ``spec.fix.cap``)."""

    def __init__(self, table: str, name: str):
        self.table, self.name = table, name

    def __get__(self, spec, owner=None):
        return getattr(getattr(spec, self.table), self.name)


@dataclass(frozen=True)
class LayerSpec:
    """A retry layer: the names that declare it and how to read its policy."""

    names: tuple[str, ...] = key((), doc="qualified names that declare the layer")
    library: str | None = key(doc="default: the first part of the first name")
    form: Form = key(Form.DECORATOR)
    dialect: Dialect = key(Dialect.KWARGS)
    label: str | None = key(doc="how messages name the layer; default: the first name")
    attempts: AttemptsSpec = key(factory=AttemptsSpec)
    deadline: DeadlineSpec = key(factory=DeadlineSpec)
    retry_on: RetryOnSpec = key(factory=RetryOnSpec)
    never_retry: tuple[str, ...] = key((), doc="keywords that stop the layer at once (a non-retryable list or classifier)")
    backoff: BackoffSpec = key(factory=BackoffSpec)
    fix: FixSpec = key(factory=FixSpec)
    target: TargetSpec = key(factory=TargetSpec)
    policy_param: str | None = key(doc="the keyword holding the policy object; none: the call itself")
    old_policy_params: tuple[str, ...] = key((), doc="older spellings of policy_param still accepted (LangGraph retry=)")
    policy_objects: tuple[str, ...] = key((), doc="qualified names of policy objects")
    policy_lists: bool = key(False, doc="policy_param may hold a list of policy objects; the first whose retry set takes an error decides, one attempt count across them (LangGraph)")
    absent_policy: Literal["none", "default"] = key("none", doc="'default': the defaults apply without a policy")
    enabled_by: str | None = key(doc="a flag that must be passed as True for any retry to happen")
    stop_raises: tuple[str, ...] = key((), doc="'<qualified name>:<keyword>' raised to stop the layer at once")
    defaults: DefaultsSpec = key(factory=DefaultsSpec)
    receiver_method: str | None = key(doc="task queues: the method name that declares a task")
    runnable: RunnableSpec = key(factory=RunnableSpec)
    task_base: tuple[str, ...] = key((), doc="task base classes")
    base_param: str | None = key()
    bind_param: str | None = key()
    bound_retry: str | None = key()
    bound_retry_attempts: str | None = key()
    bound_retry_delay: str | None = key()
    retry_kwargs_param: str | None = key()
    stable_id: str | None = key(doc="an id that stays the same across a task's retries; {self}: the bound task's first parameter")
    task_base_method: str | None = key(doc="the method of a task_base subclass that runs the task")
    actors: ActorsSpec = key(factory=ActorsSpec, doc="where actors take the options their decorator leaves out (Dramatiq: a class's Meta, the broker's Retries)")
    retries_async_generators: bool = key(True, doc="false: an async generator it decorates is no layer")
    retries_async: bool = key(True, doc="false: an async def it decorates is no layer (it only retries making the coroutine)")
    infer_keywords: tuple[str, ...] = key(())
    clients: tuple[str, ...] = key((), doc="billable-call: clients whose 'calls' retry themselves (names: each pair)")
    calls: tuple[str, ...] = key(())
    reasks: bool = key(False, doc="each retry re-sends the conversation with the failed answer appended")
    reask_history: bool = key(True, doc="false: a re-ask holds the prompt with the last failed answer only, not every earlier one (Guardrails)")
    counted_by_client: bool = key(False, doc="billable-call: the SDK client's count under it already holds its attempts (LiteLLM num_retries: 2N+1 requests), so stacks count it once, shown as the client's retries plus as many more")
    budget: str | None = key(doc="a keyword capping the tokens all re-asks may spend (instructor token_budget): given, RTL003 is silent")
    constructor_options: bool = key(False, doc="billable-call: the client's constructor gives the options the call leaves out")
    made_by: tuple[str, ...] = key((), doc="billable-call: only through a client made by one of these (a structured Guardrails Guard.for_pydantic)")
    made_with: MadeWithSpec = key(factory=MadeWithSpec, doc="billable-call: or through a client whose building chain is handed such an object")
    settings: SettingsObjectSpec = key(factory=SettingsObjectSpec, doc="billable-call: the options are those of a settings object its keywords lead to")
    adds: bool = key(False, doc="billable-call: its retries add to the SDK client's attempts (each replay is one request): stacks show a sum")
    redelivery: RedeliverySpec = key(factory=RedeliverySpec)
    timeout_redelivery: RedeliverySpec = key(factory=RedeliverySpec, doc="a second redelivery: of a task killed at its time limit")
    app_settings: AppSettingsSpec = key(factory=AppSettingsSpec)
    visibility_redelivery: RedeliverySpec = key(factory=RedeliverySpec, doc="a third: of a task still running when the broker's visibility timeout ends")
    older: OlderSpec = key(factory=OlderSpec)
    tools: AgentToolsSpec = key(factory=AgentToolsSpec, doc="tool: the agent's tools it re-runs; billable-call: their budgets count in a run's")

    deadline_params = _Nested("deadline", "params")
    deadline_default = _Nested("deadline", "default")
    deadline_nonpositive = _Nested("deadline", "nonpositive")
    retry_on_param = _Nested("retry_on", "param")
    retry_on_position = _Nested("retry_on", "position")
    retries_nothing = _Nested("retry_on", "none")
    predicate_params = _Nested("retry_on", "predicate_params")
    predicate_replaces_attempts = _Nested("retry_on", "predicate_replaces_attempts")
    waits = _Nested("backoff", "waits")
    delay_params = _Nested("backoff", "delay_params")
    growth_params = _Nested("backoff", "growth_params")
    wait_params = _Nested("backoff", "wait_params")
    target_position = _Nested("target", "position")
    target_keyword = _Nested("target", "keyword")
    defaults_keyword = _Nested("defaults", "keyword")
    defaults_from = _Nested("defaults", "from_")
    defaults_object_param = _Nested("defaults", "object_param")
    fix_cap = _Nested("fix", "cap")
    fix_never_retry = _Nested("fix", "never_retry")
    fix_never_retry_style = _Nested("fix", "never_retry_style")
    fix_backoff = _Nested("fix", "backoff")

    def __post_init__(self) -> None:
        if not self.names and not self.receiver_method and not (self.clients and self.calls):
            raise ValueError("needs 'names' or 'receiver_method'")
        names = self.names + tuple(f"{client}.{call}" for client in self.clients for call in self.calls)
        object.__setattr__(self, "names", names)
        first = self.names[0] if self.names else self.receiver_method
        object.__setattr__(self, "library", self.library or first.split(".")[0])
        object.__setattr__(self, "label", self.label or first)


@dataclass(frozen=True)
class RetriesSpec:
    """A client's own retries."""

    param: str | None = key(doc="the constructor keyword setting them")
    default: int = key(0, doc="retries when it is absent")
    requests_per_retry: int = key(1, doc="requests each retry sends when the keyword is given (LiteLLM num_retries=N: 2N+1)")
    sdk_params: tuple[str, ...] = key((), doc="call keywords setting the SDK's own retries when param is absent, one request each (LiteLLM max_retries)")
    outer_attempts: bool = key(False, doc="the keyword also caps a retry decorator around each request, that many attempts (llama-index OpenAI max_retries=N: N x (N+1) requests)")
    setting_adds: bool = key(False, doc="the module setting's N adds N attempts after the default retries' requests (litellm.num_retries)")
    keyed: bool = key(False, doc="the SDK sends one idempotency key with all its own retries of a billable call: they bill once")


@dataclass(frozen=True)
class RetryPolicySpec:
    """A constructor keyword holding retry counts per error type (LiteLLM ``Router(retry_policy=
    RetryPolicy(RateLimitErrorRetries=5))``): the worst case is the largest count, or the
    client's retries when that is larger."""

    param: str | None = key(doc="the constructor keyword taking it")
    objects: tuple[str, ...] = key((), doc="qualified names of the policy classes (a dict literal is read too)")


@dataclass(frozen=True)
class ClientSpec:
    """An SDK client that may retry by itself."""

    names: tuple[str, ...] = key((), doc="qualified names of its constructors")
    provider: str | None = key(doc="default: the first part of the first name")
    label: str | None = key(doc="default: the first name")
    module: bool = key(False, doc="the module itself is the client (stripe.max_network_retries)")
    retries: RetriesSpec = key(factory=RetriesSpec)
    setting: str | None = key(doc="a module attribute that sets the retries")
    option_methods: tuple[str, ...] = key((), doc="methods returning a copy with other options")
    passthrough: tuple[str, ...] = key((), doc="attributes that return the same client")
    makes: tuple[str, ...] = key((), doc="'<call>:<qualified class>': a call on the client whose result is that class, which sends through it (google-genai client.chats.create(...) is a google.genai.chats.Chat)")
    factories: tuple[str, ...] = key((), doc="factories that make the client for 'service' (boto3.client)")
    service: str | None = key(doc="the service name given to a factory")
    opaque_params: tuple[str, ...] = key((), doc="constructor keywords that may change retries unseen")
    base_url_param: str | None = key(doc="the constructor keyword naming the server")
    local_base_urls: tuple[str, ...] = key((), doc="globs of servers on this machine: nothing is billed")
    config: ClientConfigSpec = key(factory=ClientConfigSpec)
    older: OlderSpec = key(factory=OlderSpec)
    wraps: TargetSpec = key(factory=TargetSpec, doc="where a wrapper takes the SDK client whose retries it keeps (instructor.from_openai(client))")
    retry_policy: RetryPolicySpec = key(factory=RetryPolicySpec)
    fallbacks: FallbacksSpec = key(factory=FallbacksSpec)
    given: GivenClientSpec = key(factory=GivenClientSpec, doc="an SDK client the code hands the framework, counted in place of its default one")
    calls_through: CallsThroughSpec = key(factory=CallsThroughSpec, doc="a paid function its calls are handed and call, whose client is the one counted")
    retryless_calls: tuple[str, ...] = key((), doc="its calls that turn its retries off and retry by themselves (litellm.completion_with_retries)")
    model_providers: ModelProvidersSpec = key(factory=ModelProvidersSpec)
    retries_param = _Nested("retries", "param")
    default_retries = _Nested("retries", "default")

    def __post_init__(self) -> None:
        if (self.factories and not self.service) or any(":" not in m.strip(":") for m in self.makes):
            raise ValueError("with 'factories' needs 'service'; 'makes' entries are written '<call>:<qualified class>'")
        names = self.names + tuple(f"{factory}[{self.service}]" for factory in self.factories)  # boto3.client("ses")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "provider", self.provider or (names[0].split(".")[0] if names else "?"))
        object.__setattr__(self, "label", self.label or (names[0] if names else "SDK client"))


@dataclass(frozen=True)
class BillableSpec:
    """Calls that cost money or send something each time they run."""
    provider: str = key("custom")
    kind: Kind = key(Kind.LLM)
    clients: tuple[str, ...] = key((), doc="client names; each of 'calls' on them is billable")
    calls: tuple[str, ...] = key(())
    names: tuple[str, ...] = key((), doc="qualified names of billable functions")
    shapes: tuple[str, ...] = key((), doc="calls billable on a receiver of unknown type, with the keywords they must pass: 'chat.completions.create(model, messages)'")
    endpoints: tuple[str, ...] = key((), doc="its HTTP API's billed requests, 'host/path' globs ('*' within one part): a raw request ([http] senders) to one is billable")
    idempotency_key: str | None = key(doc="the keyword that makes a retry safe")
    idempotency_option: str | None = key()
    stable_key_fix: str | None = key()
    turns: TurnsSpec = key(factory=TurnsSpec)
    requires: tuple[str, ...] = key((), doc="keywords ('name:N': or positional argument N) of which a call must pass one to be paid (Guardrails parse(..., llm_api=...)); a **options may hold them")
    answer_errors: tuple[str, ...] = key((), doc="errors the call raises after its paid request returned, on a reply it cannot use: a layer retrying one bills that request again, and no wait mends it")
    wraps_errors: str | None = key(doc="the class every error of the call leaves it as (instructor's InstructorRetryException from an API error): a non-retryable list naming the wrapped SDK's classes matches none")

    @property
    def moves_money_or_sends(self) -> bool:
        return self.kind in (Kind.PAYMENT, Kind.MESSAGE)


@dataclass(frozen=True)
class ErrorLibrary:
    """A library's exceptions: which are deterministic (never worth a retry) and which are broad."""

    module: str = key("", doc="the module defining the exceptions")
    library: str | None = key(doc="default: the module")
    aliases: tuple[str, ...] = key((), doc="other modules re-exporting them")
    detect: tuple[str, ...] = key((), doc="imports that show the library is used")
    deterministic: tuple[str, ...] = key(())
    also_deterministic: tuple[str, ...] = key(())
    statuses: tuple[int, ...] = key((), doc="the HTTP statuses of its 'deterministic' classes (a test of one may stop them)")
    broad: tuple[str, ...] = key(())
    transient: tuple[str, ...] = key((), doc="errors a retry can heal (a rate limit): re-raising only these is no non-retryable list")
    answers: tuple[str, ...] = key((), doc="errors raised on a reply that cannot be used (parsing, validation): a layer retrying only these re-asks, and no wait between attempts mends them")
    raises: tuple[str, ...] = key((), doc="for an SDK: the error libraries (their 'library' names, its own included) whose classes its calls can raise, besides builtins'; a layer retrying only other libraries' classes retries none of its calls. Empty: not known")
    never_raises: tuple[str, ...] = key((), doc="for an SDK: builtins' classes its calls never raise, since it wraps its transport's errors in its own (openai's APIConnectionError is no builtins.ConnectionError): an inner layer retrying only these and other libraries' classes adds nothing to a stack over its calls")
    racing: tuple[str, ...] = key((), doc="deterministic classes a lost race raises (unique, foreign key violations): healed by an attempt that reads again ('rereads') before it writes, never by the same write")
    rereads: tuple[str, ...] = key((), doc="calls reading rows before a write (get_or_create, select, on_conflict_do_update), matched by the last dotted parts of the name a call is written with")

    def __post_init__(self) -> None:
        if not self.module:
            raise ValueError("needs 'module'")
        object.__setattr__(self, "library", self.library or self.module)

    def qualified(self, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f"{self.module}.{name}" for name in names)


@dataclass(frozen=True)
class EntryPointSpec:
    """A function that another system re-invokes when it fails (a Cloud Tasks or SQS handler,
    a webhook): matched by qualified-name globs or by a marker string in its body."""

    label: str = key("retried entry point")
    name: str | None = key(doc="a qualified-name glob")
    names: tuple[str, ...] = key((), doc="qualified-name globs")
    markers: tuple[str, ...] = key((), doc="substrings of its body, e.g. a header name it reads")
    attempts: int | Literal["unbounded", "unknown"] = key("unknown")
    retry_on: tuple[str, ...] | Literal["all"] = key((), toml="retry-on", aliases=("retry_on",),
                                                      doc="exception names; 'all' (or absent): every failure")

    def __post_init__(self) -> None:
        if self.name is not None:
            object.__setattr__(self, "names", (self.name, *self.names))
            object.__setattr__(self, "name", None)
        if not self.names and not self.markers:
            raise ValueError("needs 'name' (a qualified-name glob) or 'markers'")
        if isinstance(self.attempts, int) and self.attempts < 1:
            raise ValueError("needs 'attempts': an integer >= 1, \"unbounded\" or \"unknown\"")
        object.__setattr__(self, "markers", tuple(marker.lower() for marker in self.markers))
        if self.retry_on == "all":
            object.__setattr__(self, "retry_on", ())


ARRAYS = {"layer": LayerSpec, "client": ClientSpec, "billable": BillableSpec, "errors": ErrorLibrary,
          "exception_set": ExceptionSetSpec, "entrypoint": EntryPointSpec}
SECTIONS = {"tenacity": TenacitySection, "infallible": InfallibleSection, "loops": LoopsSection, "http": HttpSection, "fields": FieldsSection}


def catalog_json_schema() -> dict:
    """The JSON Schema of a catalog file, derived from the specs above (rules/catalog.schema.json)."""
    properties = {name: {"type": "array", "items": json_schema_of(spec)} for name, spec in ARRAYS.items()}
    properties.update({name: json_schema_of(spec) for name, spec in SECTIONS.items()})
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "retrylint catalog file",
        "description": "Retry layers, SDK clients, billable calls and exceptions that retrylint recognises.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }

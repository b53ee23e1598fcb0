"""Dramatiq actors beyond ``@dramatiq.actor``: class-based actors (``GenericActor`` with a ``Meta``)
through a project base in another module, and the fix that caps a ``Meta``; their findings on one
module are in cases/forms/dramatiq_classes.cases."""

from __future__ import annotations

from retrylint.engine import Engine
from retrylint.settings import Settings
from helpers import check, found, run, src, write_tree

UNBOUNDED = "Dramatiq actor class Chapter on 'perform' retries without limit: it has no attempt cap and no deadline"

BASE = """
    import dramatiq
    import openai


    class LLMActor(dramatiq.GenericActor):
        class Meta:
            abstract = True
            max_retries = None
            throws = (openai.BadRequestError,)
    """

CHAPTER = """
    import openai

    from proj.actors import LLMActor

    client = openai.OpenAI(max_retries=0)


    class Chapter(LLMActor):
        def perform(self, text):
            return client.chat.completions.create(model="gpt-4o", messages=[])
    """


def fixed(source: str) -> str:
    result = Engine(Settings()).fix_source(source, "tasks.py")
    again = Engine(Settings()).fix_source(result.source, "tasks.py")
    assert again.source == result.source
    return result.source


def test_meta_max_retries_none_gets_a_cap():
    source = src(
        """
        import dramatiq
        import openai

        client = openai.OpenAI(max_retries=0)


        class Chapter(dramatiq.GenericActor):
            class Meta:
                max_retries = None
                throws = (openai.BadRequestError,)

            def perform(self, text):
                return client.chat.completions.create(model="gpt-4o", messages=[])
        """
    )
    assert found(source) == [("RTL001", 7)]
    result = fixed(source)
    assert result == source.replace("max_retries = None", "max_retries = 2")
    assert found(result) == []


def test_a_subclass_of_a_base_in_another_module_inherits_its_meta(tmp_path):
    write_tree(tmp_path, {"proj/__init__.py": "", "proj/actors.py": BASE, "proj/tasks.py": CHAPTER})
    found = check(tmp_path, "proj/tasks.py", "proj/actors.py")
    assert [(d["path"], d["code"], d["line"], d["message"], d["fix"]) for d in found] == [
        ("proj/tasks.py", "RTL001", 8, UNBOUNDED, None)]  # the Meta to cap is in actors.py: no edit here


def test_a_subclass_with_its_own_meta_replaces_the_bases(tmp_path):
    chapter = CHAPTER.replace("    class Chapter(LLMActor):\n", "    class Chapter(LLMActor):\n        class Meta:\n"
                              "            max_retries = 3\n            throws = (openai.BadRequestError,)\n\n")
    write_tree(tmp_path, {"proj/__init__.py": "", "proj/actors.py": BASE, "proj/tasks.py": chapter})
    assert check(tmp_path, "proj/tasks.py") == []


def test_a_base_that_is_no_actor_class_keeps_it_silent(tmp_path):
    base = BASE.replace("dramatiq.GenericActor", "object")
    write_tree(tmp_path, {"proj/__init__.py": "", "proj/actors.py": base, "proj/tasks.py": CHAPTER})
    assert check(tmp_path, "proj/tasks.py") == []


# ----- the broker's Retries middleware ---------------------------------------------------------
BROKER = src("""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import AgeLimit, Retries, TimeLimit

    broker = RedisBroker(url="redis://localhost:6379/0", middleware=[AgeLimit(), TimeLimit(), {retries}])
    dramatiq.set_broker(broker)
    """)

ACTOR = src("""
    import dramatiq
    import openai

    client = openai.OpenAI(max_retries=0)


    @dramatiq.actor{options}
    def summarize(text):
        return client.chat.completions.create(model="gpt-4o", messages=[])
    """)

EVERY = ("Dramatiq actor on 'summarize' (up to {n} attempts) retries on every exception around billable summarize ->"
         " chat.completions.create and declares no non-retryable errors; stop at once on BadRequestError,"
         " AuthenticationError, PermissionDeniedError, NotFoundError, UnprocessableEntityError")


def actor_findings(root, broker: str, actor: str = "", **more) -> list[tuple[str, int, str]]:
    write_tree(root, {"proj/__init__.py": "", "proj/broker.py": broker, "proj/tasks.py": ACTOR.format(options=actor), **more})
    return [(d["code"], d["line"], d["message"]) for d in check(root, "proj/tasks.py")]


def test_the_brokers_retries_gives_the_actors_defaults(tmp_path):
    broker = BROKER.format(retries="Retries(max_retries=3, min_backoff=1_000)")
    assert actor_findings(tmp_path, broker) == [("RTL002", 7, EVERY.format(n=4))]
    assert actor_findings(tmp_path / "own", broker, "(max_retries=5)") == [("RTL002", 7, EVERY.format(n=6))]


def test_a_broker_made_with_no_retries_never_retries(tmp_path):
    broker = BROKER.format(retries="").replace("TimeLimit(), ]", "TimeLimit()]")
    assert actor_findings(tmp_path, broker) == []


def test_a_broker_made_without_a_list_keeps_the_default_retries(tmp_path):
    broker = BROKER.replace(', middleware=[AgeLimit(), TimeLimit(), {retries}]', "")
    assert actor_findings(tmp_path, broker) == [("RTL002", 7, EVERY.format(n=21))]


def test_a_second_retries_beside_the_default_one_keeps_the_defaults(tmp_path):
    """add_middleware appends: with the default Retries() still there, both re-enqueue each failure."""
    broker = BROKER.replace(', middleware=[AgeLimit(), TimeLimit(), {retries}]', "") + "broker.add_middleware(Retries(max_retries=3))\n"
    assert actor_findings(tmp_path, broker) == [("RTL002", 7, EVERY.format(n=21))]


def test_retries_added_to_a_broker_made_without_one(tmp_path):
    broker = BROKER.format(retries="").replace("TimeLimit(), ]", "TimeLimit()]") + "broker.add_middleware(Retries(max_retries=2))\n"
    assert actor_findings(tmp_path, broker) == [("RTL002", 7, EVERY.format(n=3))]


def test_the_brokers_retry_when_is_a_classifier(tmp_path):
    broker = BROKER.format(retries="Retries(retry_when=should_retry)") + (
        "\n\ndef should_retry(retries, error):\n    return retries < 3 and isinstance(error, TimeoutError)\n")
    assert actor_findings(tmp_path, broker) == []


def test_an_unbounded_brokers_retries_is_capped_on_the_actor(tmp_path):
    broker = BROKER.format(retries="Retries(max_retries=None)")
    actor = "(throws=(openai.BadRequestError,))"
    assert actor_findings(tmp_path, broker, actor) == [
        ("RTL001", 7, "Dramatiq actor on 'summarize' retries without limit: it has no attempt cap and no deadline;"
                      " its max_retries comes from its broker's retry middleware (max_retries=None)")]
    result = run(tmp_path, "check", "--fix", "proj/tasks.py")
    assert result.returncode == 0, result.stdout
    fixed_actor = (tmp_path / "proj/tasks.py").read_text()
    assert fixed_actor == ACTOR.format(options="(throws=(openai.BadRequestError,), max_retries=2)")
    assert run(tmp_path, "check", "--fix", "proj/tasks.py").returncode == 0
    assert (tmp_path / "proj/tasks.py").read_text() == fixed_actor


def test_the_broker_is_read_only_where_the_project_sets_it_once(tmp_path):
    broker = BROKER.format(retries="Retries(max_retries=3)")
    other = "import dramatiq\nfrom dramatiq.brokers.stub import StubBroker\n\ndramatiq.set_broker(StubBroker())\n"
    assert actor_findings(tmp_path, broker, **{"proj/testing.py": other}) == [("RTL002", 7, EVERY.format(n=21))]
    unset = broker.replace("dramatiq.set_broker(broker)", "")
    assert actor_findings(tmp_path / "unset", unset) == [("RTL002", 7, EVERY.format(n=21))]


def test_an_actors_own_broker_and_a_class_actor(tmp_path):
    broker = BROKER.format(retries="Retries(max_retries=3)").replace("dramatiq.set_broker(broker)", "")
    assert actor_findings(tmp_path, broker, "(broker=broker)", **{"proj/tasks.py": ACTOR.format(options="(broker=broker)").replace(
        "import openai\n", "import openai\n\nfrom proj.broker import broker\n")}) == [("RTL002", 9, EVERY.format(n=4))]
    chapter = CHAPTER.replace("from proj.actors import LLMActor", "import dramatiq").replace("(LLMActor)", "(dramatiq.GenericActor)")
    write_tree(tmp_path / "class", {"proj/__init__.py": "", "proj/broker.py": BROKER.format(retries="Retries(max_retries=3)"),
                                    "proj/tasks.py": chapter})
    assert [(d["code"], d["line"], d["message"][:61]) for d in check(tmp_path / "class", "proj/tasks.py")] == [
        ("RTL002", 8, "Dramatiq actor class Chapter on 'perform' (up to 4 attempts) ")]


def test_a_brokers_min_backoff_of_zero_keeps_its_default_wait(tmp_path):
    """Retries(min_backoff=0) waits 15 s (min_backoff or DEFAULT_MIN_BACKOFF); the actor's own 0 waits nothing."""
    actor = "(throws=(openai.BadRequestError,))"
    broker = BROKER.format(retries="Retries(max_retries=3, min_backoff=0)")
    assert actor_findings(tmp_path, broker, actor) == []
    assert [code for code, _, _ in actor_findings(tmp_path / "own", broker, actor[:-1] + ", min_backoff=0)")] == ["RTL006"]


def test_a_replaced_middleware_list_or_one_not_written_out_keeps_the_defaults(tmp_path):
    replaced = BROKER.format(retries="Retries(max_retries=3)") + "broker.middleware = [m for m in broker.middleware]\n"
    assert actor_findings(tmp_path, replaced) == [("RTL002", 7, EVERY.format(n=21))]
    built = BROKER.replace("[AgeLimit(), TimeLimit(), {retries}]", "[m() for m in (AgeLimit, TimeLimit, Retries)]")
    assert actor_findings(tmp_path / "built", built) == [("RTL002", 7, EVERY.format(n=21))]
    custom = BROKER.format(retries="Retries(max_retries=3)").replace("TimeLimit(), Retries", "TimeLimit(), Throttle(), Retries") \
        + "\n\nclass Throttle(Retries):\n    pass\n"
    assert actor_findings(tmp_path / "custom", custom) == [("RTL002", 7, EVERY.format(n=21))]

"""Dramatiq actors beyond ``@dramatiq.actor``: class-based actors (``GenericActor`` with a ``Meta``)
through a project base in another module, and the fix that caps a ``Meta``; their findings on one
module are in cases/forms/dramatiq_classes.cases."""

from __future__ import annotations

from retrylint.engine import Engine
from retrylint.settings import Settings
from helpers import check, found, src, write_tree

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

"""Celery's app settings where projects write them, read for its redelivery layers: the module
``config_from_object`` loads (by name, imported, a class), Django settings through
``namespace="CELERY"`` and ``DJANGO_SETTINGS_MODULE``; and ``retrylint report`` on the Redis
visibility redelivery (its findings on one module are in cases/forms/celery_visibility.cases)."""

from __future__ import annotations

import json

from helpers import check, run, write_tree

VISIBILITY = "Celery redelivery (acks_late on a Redis broker) on 'summarize' retries without limit"
WORKER_LOST = "Celery redelivery (acks_late + reject_on_worker_lost) on 'summarize' retries without limit"

TASKS = """
    import openai

    from proj.celery import app

    client = openai.OpenAI(max_retries=0)


    @app.task
    def summarize(texts):
        return [client.chat.completions.create(model="gpt-4o", messages=[]) for _ in texts]
    """


def findings(root) -> list[tuple[str, int, str]]:
    return [(d["code"], d["line"], d["message"].partition(":")[0]) for d in check(root, "proj/tasks.py")]


def test_a_config_module_loaded_by_name(tmp_path):
    write_tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/celeryconfig.py": """
            broker_url = "redis://localhost:6379/0"
            task_acks_late = True
            task_reject_on_worker_lost = True
            """,
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("proj.celeryconfig")
            """,
        "proj/tasks.py": TASKS,
    })
    assert findings(tmp_path) == [("RTL001", 8, WORKER_LOST), ("RTL001", 8, VISIBILITY)]


def test_an_imported_config_module_and_a_config_class(tmp_path):
    write_tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/settings.py": """
            class CeleryConfig:
                broker_url = "redis://redis:6379/1"
                broker_transport_options = {"visibility_timeout": 900}
                task_acks_late = True
                task_time_limit = 1800
            """,
        "proj/celery.py": """
            from celery import Celery

            from proj.settings import CeleryConfig

            app = Celery("proj")
            app.config_from_object(CeleryConfig)
            """,
        "proj/tasks.py": TASKS,
    })
    (found,) = check(tmp_path, "proj/tasks.py")
    assert (found["code"], found["line"]) == ("RTL001", 8)
    assert found["message"] == (
        f"{VISIBILITY}: it has no attempt cap and no deadline; with time_limit 1800 s, a run still going when the"
        " Redis broker's visibility_timeout (900 s) ends is handed to another worker and runs again beside the"
        " first, with no count; set time_limit below 900 s, raise broker_transport_options' visibility_timeout"
        " above the longest run, or make the task idempotent")


DJANGO_CELERY = """
    import os

    from celery import Celery

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")

    app = Celery("proj")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    """


def test_django_settings_through_the_celery_namespace(tmp_path):
    write_tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/settings.py": """
            DEBUG = False
            CELERY_BROKER_URL = "redis://localhost:6379/0"
            CELERY_TASK_ACKS_LATE = True
            BROKER_URL = "amqp://ignored-without-the-namespace//"
            """,
        "proj/celery.py": DJANGO_CELERY,
        "proj/tasks.py": TASKS,
    })
    assert findings(tmp_path) == [("RTL001", 8, VISIBILITY)]


def test_django_settings_on_rabbitmq_or_from_the_environment_say_nothing(tmp_path):
    settings = """
        import os

        CELERY_BROKER_URL = {url}
        CELERY_TASK_ACKS_LATE = True
        """
    for name, url in (("rabbitmq", '"amqp://guest:guest@rabbitmq:5672//"'), ("env", 'os.environ["CELERY_BROKER_URL"]')):
        write_tree(tmp_path / name, {
            "proj/__init__.py": "",
            "proj/settings.py": settings.format(url=url),
            "proj/celery.py": DJANGO_CELERY,
            "proj/tasks.py": TASKS,
        })
        assert findings(tmp_path / name) == [], url


def test_django_settings_on_sqs_use_its_window(tmp_path):
    """kombu's SQS transport makes its queues with the visibility_timeout transport option as their
    VisibilityTimeout, 1800 s by default; a time_limit at most that ends every run first."""
    settings = """
        CELERY_BROKER_URL = "sqs://"
        CELERY_BROKER_TRANSPORT_OPTIONS = {{"region": "eu-west-1"{window}}}
        CELERY_TASK_ACKS_LATE = True
        CELERY_TASK_TIME_LIMIT = 2000
        """
    for name, window, expected in (("default", "", 1800), ("raised", ', "visibility_timeout": 2400', None),
                                   ("lowered", ', "visibility_timeout": 900', 900)):
        write_tree(tmp_path / name, {
            "proj/__init__.py": "",
            "proj/settings.py": settings.format(window=window),
            "proj/celery.py": DJANGO_CELERY,
            "proj/tasks.py": TASKS,
        })
        found = check(tmp_path / name, "proj/tasks.py")
        if expected is None:
            assert found == [], name
            continue
        assert [(d["code"], d["line"]) for d in found] == [("RTL001", 8)], name
        assert found[0]["message"] == (
            "Celery redelivery (acks_late on an SQS broker) on 'summarize' retries without limit: it has no attempt cap"
            f" and no deadline; with time_limit 2000 s, a run still going when the SQS broker's visibility_timeout"
            f" ({expected} s) ends is handed to another worker and runs again beside the first, with no count; set"
            f" time_limit below {expected} s, raise broker_transport_options' visibility_timeout above the longest run,"
            " or make the task idempotent"), name


def test_a_namespace_reads_only_its_own_names(tmp_path):
    write_tree(tmp_path, {
        "proj/__init__.py": "",
        "proj/settings.py": """
            broker_url = "redis://localhost:6379/0"
            task_acks_late = True
            """,
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj")
            app.config_from_object("proj.settings", namespace="CELERY")
            """,
        "proj/tasks.py": TASKS,
    })
    assert findings(tmp_path) == []


def test_report_shows_the_visibility_redelivery_over_the_sdk(tmp_path):
    write_tree(tmp_path, {
        "tasks.py": """
            import openai
            from celery import Celery

            app = Celery("proj", broker="redis://localhost:6379/0")
            client = openai.OpenAI()


            @app.task(acks_late=True, time_limit=7200)
            def summarize(text):
                return client.chat.completions.create(model="gpt-4o", messages=[])
            """,
    })
    result = run(tmp_path, "report", "--format", "json")
    assert result.returncode == 0, result.stderr
    (point,) = json.loads(result.stdout)
    assert (point["path"], point["line"], point["layer"]) == (
        "tasks.py", 8, "Celery redelivery (acks_late on a Redis broker) on 'summarize'")
    assert point["layers"] == ["Celery redelivery (acks_late on a Redis broker) on 'summarize' (unbounded)",
                               "OpenAI client (3: retries 2 by default)"]
    assert point["attempts"] is None and point["billed_calls"] is None
    assert point["findings"] == ["RTL001"]


def test_celery_3_names_in_django_settings_without_a_namespace(tmp_path):
    settings = """
        BROKER_URL = "redis://localhost:6379/0"
        BROKER_TRANSPORT_OPTIONS = {{"visibility_timeout": 3600}}
        CELERY_ACKS_LATE = True
        CELERYD_TASK_TIME_LIMIT = {limit}
        """
    celery = DJANGO_CELERY.replace(', namespace="CELERY"', "")
    for limit in (7200, 1800):
        write_tree(tmp_path / str(limit), {
            "proj/__init__.py": "",
            "proj/settings.py": settings.format(limit=limit),
            "proj/celery.py": celery,
            "proj/tasks.py": TASKS,
        })
    assert findings(tmp_path / "7200") == [("RTL001", 8, VISIBILITY)]
    assert "with time_limit 7200 s, a run still going" in check(tmp_path / "7200", "proj/tasks.py")[0]["message"]
    assert findings(tmp_path / "1800") == []


SHARED_TASKS = """
    import openai
    from celery import shared_task

    client = openai.OpenAI(max_retries=0)


    @shared_task
    def summarize(texts):
        return [client.chat.completions.create(model="gpt-4o", messages=[]) for _ in texts]
    """


def test_a_shared_task_takes_the_settings_of_the_projects_one_app(tmp_path):
    apps = {
        "proj/celery.py": """
            from celery import Celery

            app = Celery("proj", broker="redis://localhost:6379/0")
            app.conf.task_acks_late = True
            """,
    }
    write_tree(tmp_path / "one", {"proj/__init__.py": "", "summaries/__init__.py": "",
                                  "summaries/tasks.py": SHARED_TASKS, **apps})
    found = [(d["code"], d["line"], d["message"].partition(":")[0]) for d in check(tmp_path / "one", "summaries/tasks.py")]
    assert found == [("RTL001", 7, VISIBILITY)]
    apps["worker/celery.py"] = apps["proj/celery.py"]  # two apps: which one runs the task is not known
    write_tree(tmp_path / "two", {"proj/__init__.py": "", "worker/__init__.py": "", "summaries/__init__.py": "",
                                  "summaries/tasks.py": SHARED_TASKS, **apps})
    assert check(tmp_path / "two", "summaries/tasks.py") == []

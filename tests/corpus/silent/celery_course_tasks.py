"""Course generation tasks: bounded autoretry, a non-retryable list, backoff, and
skip-already-done guards so that a retry never re-bills a chapter that was written."""

import anthropic
from celery import Celery
from sqlalchemy import select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, ProgrammingError

from courses.db import Chapter, Session

app = Celery("courses", broker="redis://localhost:6379/0")
client = anthropic.Anthropic(max_retries=0)  # the task decides when to try again

TRANSIENT = (
    anthropic.RateLimitError,
    anthropic.APIConnectionError,
    anthropic.InternalServerError,
    OperationalError,
)
PERMANENT = (
    anthropic.BadRequestError,
    anthropic.AuthenticationError,
    anthropic.PermissionDeniedError,
    ProgrammingError,
    DataError,
    IntegrityError,
)


@app.task(
    bind=True,
    autoretry_for=TRANSIENT,
    dont_autoretry_for=PERMANENT,
    max_retries=5,
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    acks_late=True,
)
def build_course(self, course_id):
    with Session() as session:
        chapters = session.scalars(select(Chapter).where(Chapter.course_id == course_id)).all()
        for chapter in chapters:
            if chapter.body is not None:
                continue  # written on an earlier attempt
            reply = client.messages.create(
                model="claude-sonnet-4-5",
                max_tokens=4000,
                messages=[{"role": "user", "content": chapter.outline}],
            )
            session.execute(update(Chapter).where(Chapter.id == chapter.id).values(body=reply.content[0].text))
            session.commit()


@app.task
def count_chapters(course_id):
    with Session() as session:
        return len(session.scalars(select(Chapter).where(Chapter.course_id == course_id)).all())

"""Reproduction of the course-generation incident (see README.md).

One Celery task writes every chapter of a course with an LLM, then stores the course in a
single DB write at the end. The write failed on a schema error; the task retried every
exception, without limit and without waiting, and each attempt re-wrote every chapter."""

from anthropic import Anthropic
from celery import Celery
from sqlalchemy import create_engine, insert
from sqlalchemy.orm import Session

from courses.schema import courses

app = Celery("courses", broker="redis://localhost:6379/0")
engine = create_engine("postgresql+psycopg://courses@db/courses")
client = Anthropic()  # the SDK retries twice by itself


def write_chapter(course_title, chapter_title):
    reply = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=4000,
        messages=[{"role": "user", "content": f"Write the chapter '{chapter_title}' of '{course_title}'."}],
    )
    return reply.content[0].text


@app.task(autoretry_for=(Exception,), max_retries=None, default_retry_delay=0)
def build_course(course_id, course_title, chapter_titles):
    chapters = []
    for chapter_title in chapter_titles:
        chapters.append({"title": chapter_title, "body": write_chapter(course_title, chapter_title)})
    with Session(engine) as session:
        session.execute(insert(courses).values(id=course_id, title=course_title, chapters=chapters))
        session.commit()

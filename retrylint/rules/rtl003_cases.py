"""RTL003's own VALID and INVALID cases (kept apart so the rule module stays under the size limit)."""

from retrylint.rules.base import Invalid, Valid

VALID = [
    Valid(
        """
import openai
from tenacity import retry, stop_after_attempt

client = openai.OpenAI()

@retry(stop=stop_after_attempt(3))
def summarize(text):
    prompt = text.strip()
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
"""
    ),
    Valid(
        """
import stripe
from celery import shared_task

@shared_task(bind=True, autoretry_for=(stripe.APIConnectionError,), max_retries=3)
def charge(self, order_id, amount):
    stripe.PaymentIntent.create(amount=amount, currency="eur", idempotency_key=f"order-{order_id}")
"""
    ),
    Valid(
        """
import openai
from celery import shared_task

client = openai.OpenAI()

@shared_task(autoretry_for=(openai.APIConnectionError,), max_retries=3)
def build(course_id):
    for chapter in load_chapters(course_id):
        if chapter.text is not None:
            continue
        chapter.text = client.chat.completions.create(model="gpt-4o", messages=[])
        chapter.save()
"""
    ),
    Valid(  # the task's own self.retry hands the failure to the layer: nothing fails after the paid call
        """
import openai
from celery import shared_task

client = openai.OpenAI()

@shared_task(bind=True, max_retries=3)
def summarize(self, text):
    try:
        reply = client.chat.completions.create(model="gpt-4o", messages=[])
    except Exception as exc:
        raise self.retry(exc=exc, countdown=10)
    return reply
"""
    ),
    Valid(
        """
import openai
from tenacity import retry, stop_after_attempt

client = openai.OpenAI()

def summarize(text):
    return client.chat.completions.create(model="gpt-4o", messages=[])

@retry(stop=stop_after_attempt(3))
def fetch_and_store(url):
    body = download(url)
    store(body)
"""
    ),
    Valid(
        """
import numpy as np
import openai
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

client = openai.OpenAI(max_retries=0)

@retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
def embed(texts, usage):
    response = client.embeddings.create(model="m", input=texts)
    usage.add_tokens(response.usage.total_tokens)
    return np.array([item.embedding for item in response.data])
"""
    ),
    Valid(
        """
import openai
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

client = openai.OpenAI(max_retries=0)

@retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
def stream(text):
    return [chunk for chunk in client.chat.completions.create(model="m", messages=[text], stream=True)]
"""
    ),
]

INVALID = [
    Invalid(
        """
import openai
from celery import shared_task

client = openai.OpenAI()

@shared_task(autoretry_for=(openai.APIConnectionError, ConnectionError), max_retries=3)
def build(course_id, chapters):
    for chapter in chapters:
        text = client.chat.completions.create(model="gpt-4o", messages=[])
        save_chapter(course_id, chapter, text)
""",
        line=7,
        message="chat.completions.create (runs in a loop, billed per item, billed again if save_chapter fails after it)",
    ),
    Invalid(
        """
import anthropic
from tenacity import retry, stop_after_attempt

client = anthropic.Anthropic()

def draft(topic):
    return client.messages.create(model="claude", max_tokens=100, messages=[])

@retry(stop=stop_after_attempt(3))
def publish(topic, db):
    text = draft(topic)
    db.execute("INSERT INTO posts VALUES (?)", (text,))
""",
        line=10,
        message="messages.create (billed again if db.execute fails after it)",
    ),
    Invalid(
        """
import stripe
from celery import shared_task

@shared_task(bind=True, autoretry_for=(stripe.APIConnectionError,), max_retries=3)
def charge(self, amount):
    return stripe.PaymentIntent.create(amount=amount, currency="eur")
""",
        line=5,
        message="PaymentIntent.create (moves money: a lost response is still a charge)",
        fixed="""
import stripe
from celery import shared_task

@shared_task(bind=True, autoretry_for=(stripe.APIConnectionError,), max_retries=3)
def charge(self, amount):
    return stripe.PaymentIntent.create(
        amount=amount,
        currency="eur",
        idempotency_key=self.request.id,
    )
""",
        unsafe=True,
    ),
    Invalid(
        """
import openai
from celery import shared_task

client = openai.OpenAI()

@shared_task(bind=True, max_retries=3)
def summarize(self, text):
    try:
        reply = client.chat.completions.create(model="gpt-4o", messages=[])
        save(reply)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=10)
""",
        line=7,
        message="chat.completions.create (billed again if save fails after it); worst case",
    ),
    Invalid(
        """
import openai
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

client = openai.OpenAI(max_retries=0)

@retry(stop=stop_after_attempt(3), wait=wait_exponential(), retry=retry_if_exception_type(openai.RateLimitError))
def translate(chapters):
    return [client.chat.completions.create(model="m", messages=[text]) for text in chapters]
""",
        line=7,
        message="chat.completions.create (runs in a loop, billed per item)",
    ),
]

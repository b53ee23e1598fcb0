"""Summaries with one retry layer: tenacity decides, the SDK client does not retry."""

import logging

import openai
from openai import OpenAI
from tenacity import (
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

log = logging.getLogger(__name__)
client = OpenAI(max_retries=0, timeout=30)

TRANSIENT = (
    openai.RateLimitError,
    openai.APIConnectionError,
    openai.APITimeoutError,
    openai.InternalServerError,
)


@retry(
    stop=stop_after_attempt(4) | stop_after_delay(120),
    wait=wait_random_exponential(multiplier=1, max=30),
    retry=retry_if_exception_type(TRANSIENT),
    reraise=True,
)
def summarize(text):
    messages = [
        {"role": "system", "content": "Summarize in three sentences."},
        {"role": "user", "content": text},
    ]
    return client.chat.completions.create(model="gpt-4o-mini", messages=messages)


def summarize_document(document, store):
    if store.has_summary(document.id):
        return store.summary(document.id)
    response = summarize(document.text)
    summary = response.choices[0].message.content
    store.save_summary(document.id, summary)
    log.info("summarized %s", document.id)
    return summary

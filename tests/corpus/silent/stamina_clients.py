"""stamina keeps its defaults (10 attempts, 45 s) or tighter ones; the LLM client does not retry."""

import anthropic
import httpx
import stamina

client = anthropic.Anthropic(max_retries=0)


@stamina.retry(on=httpx.TransportError, attempts=5, timeout=30)
def fetch_page(url):
    response = httpx.get(url, timeout=10)
    response.raise_for_status()
    return response.text


def retryable(error):
    if isinstance(error, (anthropic.BadRequestError, anthropic.AuthenticationError)):
        return False
    return isinstance(error, (anthropic.RateLimitError, anthropic.APIConnectionError, anthropic.InternalServerError))


@stamina.retry(on=retryable, attempts=4)
def classify(text):
    return client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=20,
        messages=[{"role": "user", "content": f"Label this: {text}"}],
    )


def download_all(urls):
    pages = {}
    for url in urls:
        for attempt in stamina.retry_context(on=httpx.TransportError, attempts=3):
            with attempt:
                pages[url] = httpx.get(url, timeout=10).text
    return pages

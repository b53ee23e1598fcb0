"""Embeddings with backoff: capped tries, exponential waits, and a giveup predicate."""

import backoff
import openai

client = openai.OpenAI(max_retries=0)


def is_permanent(error):
    return isinstance(
        error,
        (
            openai.BadRequestError,
            openai.AuthenticationError,
            openai.PermissionDeniedError,
            openai.NotFoundError,
            openai.UnprocessableEntityError,
        ),
    )


@backoff.on_exception(
    backoff.expo,
    openai.APIError,
    max_tries=5,
    max_time=120,
    giveup=is_permanent,
    jitter=backoff.full_jitter,
)
def embed(texts):
    return client.embeddings.create(model="text-embedding-3-small", input=texts)


@backoff.on_predicate(backoff.fibo, lambda ready: not ready, max_tries=10, max_value=30)
def index_ready(index):
    return index.describe()["status"] == "ready"


def embed_all(batches, index):
    vectors = []
    for batch in batches:
        vectors.extend(item.embedding for item in embed(batch).data)
    index.upsert(vectors)
    return len(vectors)

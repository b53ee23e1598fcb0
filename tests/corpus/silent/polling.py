"""Polling loops: they wait for a state change, no exception drives them."""

import time

import openai

client = openai.OpenAI(max_retries=0)


def wait_for_batch(batch_id, timeout=3600):
    deadline = time.monotonic() + timeout
    while True:
        batch = client.batches.retrieve(batch_id)
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return batch
        if time.monotonic() > deadline:
            raise TimeoutError(batch_id)
        time.sleep(30)


def drain(queue, handle):
    while True:
        item = queue.get(timeout=5)
        if item is None:
            time.sleep(1)
            continue
        handle(item)


def wait_until_ready(job):
    while not job.ready():
        time.sleep(2)
    return job.result

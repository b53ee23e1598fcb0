"""Fallback loops walk different mirrors or models; each try is a different request."""

import logging

import openai
import requests

log = logging.getLogger(__name__)
client = openai.OpenAI(max_retries=0)

MIRRORS = ["https://a.example.com", "https://b.example.com"]
MODELS = ["gpt-4o", "gpt-4o-mini"]


def download(path):
    for mirror in MIRRORS:
        try:
            return requests.get(f"{mirror}/{path}", timeout=10).content
        except requests.RequestException:
            log.warning("mirror %s failed", mirror)
            continue
    raise LookupError(path)


def answer(question):
    for model in MODELS:
        try:
            return client.chat.completions.create(model=model, messages=[{"role": "user", "content": question}])
        except openai.APIStatusError:
            log.warning("model %s failed", model)
            continue
    raise RuntimeError("every model failed")

"""Hand-written retry loops done right: counted, sleeping, re-raising after the last try."""

import asyncio
import random
import time

import openai
import requests

client = openai.OpenAI(max_retries=0)
aclient = openai.AsyncOpenAI(max_retries=0)


def get_json(url, attempts=4):
    for attempt in range(attempts):
        try:
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            return response.json()
        except requests.ConnectionError:
            if attempt == attempts - 1:
                raise
            time.sleep(2 ** attempt + random.random())


def complete(prompt):
    for attempt in range(3):
        try:
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
        except (openai.RateLimitError, openai.APIConnectionError):
            if attempt == 2:
                raise
            time.sleep(2 ** attempt + random.random())


def complete_with_counter(prompt):
    tries = 0
    while True:
        try:
            return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
        except openai.RateLimitError:
            tries += 1
            if tries >= 4:
                raise
            time.sleep(min(60, 2 ** tries))


async def acomplete(prompt):
    for attempt in range(3):
        try:
            return await aclient.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
        except openai.APIConnectionError:
            if attempt == 2:
                raise
            await asyncio.sleep(2 ** attempt)

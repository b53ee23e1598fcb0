"""Which names say retry, for the retrying objects written by hand (readers/retrying_instances.py):
a word part starting with ``retr``, not retrieve and not ``retr`` inside a word. Following the
others would parse their modules for nothing (``from_pretrained`` is in every transformers file)."""

import pytest

from retrylint.analysis.layers.readers.retrying_instances import handed_calls, says_retry


@pytest.mark.parametrize("name", ["retryer", "_retrying", "Retrying", "LLM_RETRY", "max_retries", "makeRetrier"])
def test_names_saying_retry(name):
    assert says_retry(name)


@pytest.mark.parametrize("name", ["from_pretrained", "AutoModelForPreTraining", "retriever", "RETRIEVE", "get_retrieval"])
def test_names_not_saying_retry(name):
    assert not says_retry(name)


def test_handed_calls_are_found_from_each_retr():
    text = "out = self.retryer(self.client.completion, **kw)\nm = AutoModel.from_pretrained(path)\nr = retriever(q)\n"
    assert list(handed_calls(text)) == [(11, "retryer")]

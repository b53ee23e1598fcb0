"""The rule registry: every rule module, in code order."""

from retrylint.rules.base import Rule
from retrylint.rules.rtl001_unbounded_retry import UnboundedRetry
from retrylint.rules.rtl002_missing_non_retryable import MissingNonRetryable
from retrylint.rules.rtl003_non_idempotent_billable_retry import NonIdempotentBillableRetry
from retrylint.rules.rtl004_retries_deterministic_error import RetriesDeterministicError
from retrylint.rules.rtl005_stacked_retries import StackedRetries
from retrylint.rules.rtl006_retry_without_backoff import RetryWithoutBackoff
from retrylint.rules.rtl999_unreadable_file import UnreadableFile

ALL_RULES: list[type[Rule]] = [
    UnboundedRetry,
    MissingNonRetryable,
    NonIdempotentBillableRetry,
    RetriesDeterministicError,
    StackedRetries,
    RetryWithoutBackoff,
    UnreadableFile,
]
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

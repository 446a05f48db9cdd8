"""The one HTTP client to a remote SPARQL store: form-encoded POSTs over the SPARQL 1.1 Protocol.

Every request is a form POST (no URL length limit; Virtuoso never answers a POST with an
``application/sparql-query`` body). Errors become the store's own exceptions: 400 is a
:class:`QuerySyntaxError`, other statuses :class:`RefusedError`, a connection that fails or
times out :class:`StoreError`. Both the remote backend and the SPARQL endpoint's forwarding
use this client.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from email.message import Message
from urllib.parse import urlencode

from cckg.core.store.base import QuerySyntaxError, StoreError

RESULTS_JSON = ("application/sparql-results+json", "application/json")
_ERROR_HINT_RE = re.compile(r"syntax error|parse error|malformed|unexpected", re.IGNORECASE)


class StoreTimeoutError(StoreError):
    """The store did not answer within the time limit."""


class AnswerTooLargeError(StoreError):
    """The store's answer is larger than the caller accepts."""


class RefusedError(StoreError):
    """The store answered with an HTTP error status other than 400 (a request too large, …)."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class SparqlClient:
    """Form POSTs to one store's query and update URLs."""

    def __init__(self, timeout_s: float = 60.0):
        self.timeout_s = timeout_s

    def post(
        self,
        url: str,
        fields: Sequence[tuple[str, str]],
        accept: str,
        timeout_s: float | None = None,
        max_body: int | None = None,
    ) -> tuple[str, bytes, Message]:
        """One form POST; returns (content type, body, headers). A body over ``max_body``
        bytes is not read to its end (AnswerTooLargeError)."""
        req = urllib.request.Request(  # noqa: S310 (the configured store endpoint)
            url,
            data=urlencode(list(fields)).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
            method="POST",
        )
        timeout = self.timeout_s if timeout_s is None else timeout_s
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310
                body = r.read() if max_body is None else r.read(max_body + 1)
                if max_body is not None and len(body) > max_body:
                    raise AnswerTooLargeError(f"{url} answered more than {max_body:,} bytes")
                return r.headers.get_content_type(), body, r.headers
        except urllib.error.HTTPError as e:
            detail = " ".join(e.read(2000).decode("utf-8", "replace").split())
            if e.code == 400:
                raise QuerySyntaxError(detail or f"{url} rejected the request") from e
            raise RefusedError(f"{url} answered {e.code}: {detail[:300]}", e.code) from e
        except TimeoutError as e:
            raise StoreTimeoutError(f"{url}: no answer within {timeout:g} s") from e
        except (urllib.error.URLError, OSError) as e:  # refused, reset, timed out
            reason = getattr(e, "reason", e)
            if isinstance(reason, TimeoutError):
                raise StoreTimeoutError(f"{url}: no answer within {timeout:g} s") from e
            raise StoreError(f"{url}: {reason}") from e


def unexpected_answer(url: str, ctype: str, body: bytes) -> Exception:
    """The error for a 200 answer that is not what was asked for (Virtuoso may answer a bad
    request with an HTML page)."""
    text = re.sub(r"<[^>]*>", " ", body[:4000].decode("utf-8", "replace"))
    text = " ".join(text.split())[:500]
    if _ERROR_HINT_RE.search(text):
        return QuerySyntaxError(text)
    return StoreError(f"{url} answered {ctype or 'no content type'}: {text[:200]}")

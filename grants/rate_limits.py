"""Counting requests in the cache, which is Redis shared by every web process when REDIS_URL is set
(a limit per deployment, not per worker) and local memory in the demo and the tests."""

import hashlib

from django.core.cache import cache


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one request of `key` in `scope` and say whether it is still within `limit` for the
    current window of `window` seconds (a fixed window, opened by the first request). A limit of 0
    means no limit. Keys are hashed: e-mail addresses are not written into the cache in clear."""
    if limit <= 0:
        return True
    cache_key = f"ratelimit:{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
    cache.add(cache_key, 0, timeout=window)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.set(cache_key, 1, timeout=window)
        count = 1
    return count <= limit

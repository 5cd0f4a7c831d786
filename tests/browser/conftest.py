import os

# Playwright's sync API runs an asyncio loop in the test thread; Django's ORM refuses to run inside a
# loop unless told it is safe. The live server runs in its own thread, so it is.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

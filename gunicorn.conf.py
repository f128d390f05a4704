"""gunicorn's settings for this app, read from the project's folder by every `gunicorn app:app` started there."""
# The app itself answers over-long URLs (414 in the API's JSON under /api/v1); gunicorn's own answer is HTML.
limit_request_line = 0

"""The framework's own ceiling: a bare Flask endpoint returning a small JSON object."""
from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare():
    return {"status": "ok", "service": "bare"}

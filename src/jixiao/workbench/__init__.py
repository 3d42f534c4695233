"""The reviewer's workbench: a local web app over a run's output folder (`jixiao serve`), the
reviewer's decisions kept in SQLite beside the run, and the 审核意见书 in Word (`jixiao export`).

Only the standard library and jixiao's own modules are imported at package level: starlette,
uvicorn and python-docx are imported inside the functions that need them.
"""

REVIEW_DB = ".jixiao-review.sqlite"

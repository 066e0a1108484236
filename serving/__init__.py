"""The FastAPI serving app: ``python -m serving --env dev --run-id <id>``."""

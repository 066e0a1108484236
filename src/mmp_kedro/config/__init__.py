"""Configuration: how ``conf/`` is read, the env and project a process works in, and
the typed infrastructure parameters of training."""

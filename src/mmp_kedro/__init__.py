"""mmp-kedro: declarative ML pipelines on Kedro.

A recipe (``recipes/<name>.yaml``) says *what* to learn; a Kedro environment
(``conf/local``, ``conf/dev``, ``conf/prod``) says *where* it runs.
"""

__version__ = "0.1.0"

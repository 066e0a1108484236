"""Run-time speed work, kept apart from the domain: nothing here changes a result.

Each module answers one measured cost (``benchmarks/`` prints each figure):

- :mod:`~mmp_kedro.runtime.collector`: before its first node a ``kedro run`` imports
  MLflow, Feast, causalml and scikit-learn, millions of objects that live until the
  process ends; CPython's collector would re-scan them over and over while they
  load and once more at exit. The collector is relaxed while the project loads,
  what loaded is frozen before the first node, and a server keeps young
  collections rare.
- :mod:`~mmp_kedro.runtime.inference_runner`: kedro-mlflow's ``KedroPipelineModel``
  runs the inference pipeline once per ``predict`` call, a serving request
  included. Kedro's ``SequentialRunner`` is built for whole runs (dataset warm-up,
  dataset hooks, release bookkeeping): for a one-row request that costs about as
  much as the nodes. The artifact's runner runs the same nodes without it.
- :mod:`~mmp_kedro.runtime.hook_manager`: ``KedroPipelineModel.predict`` builds a
  new, empty hook manager per call (pluggy inspects every hook spec's signature);
  a server shares one.
- :mod:`~mmp_kedro.runtime.shared_inputs`: ``KedroPipelineModel.predict`` deep-copies
  its catalog per call, fitted model and preprocessor included (an XGBoost booster
  is re-serialised each time); they are read-only, so a loaded artifact shares them.
- :mod:`~mmp_kedro.runtime.pipeline_predictor`: even so, each ``predict`` call saves
  its params into the catalog, deep-copies it and loads every input back; a server
  holds the fitted inputs already and runs the same nodes with the same runner.
  Batch inference does the same per chunk, and skips pyfunc's value-by-value pass
  over the ``any``-typed timestamp column (a second per 250,000 rows).
- :mod:`~mmp_kedro.runtime.chunk_streams`: Kedro splits a generator node's outputs
  with ``itertools.tee``, which keeps up to 57 yielded chunks alive until the node
  ends (3 GB of batch inference's at 10M rows); each chunk is freed once saved.
- :mod:`~mmp_kedro.runtime.asof_offline_store`: Feast's DuckDB offline store joins
  point in time in ibis, as every entity row against its key's whole history; the
  same rows come from DuckDB ``ASOF JOIN``s in a third of the time (LOCAL's
  ``feature_store.yml`` names it).
- :mod:`~mmp_kedro.runtime.debug_checks`: Feast's ``@typechecked`` classes are
  re-compiled by typeguard at every import, seconds of each ``kedro`` command and
  of a server's start; typeguard leaves them out under ``python -O``, and so do we.

Only settings.py, serving and the artifact layer import this package: it relies on
Kedro and kedro-mlflow internals, which its tests pin down.
"""

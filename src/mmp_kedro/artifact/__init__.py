"""The wrapped artifact: what a training run logs and how it is read back by run id.

:mod:`~mmp_kedro.artifact.contract` names every file of a run and reads them;
:mod:`~mmp_kedro.artifact.logged_model` says how the pyfunc model is logged.
"""

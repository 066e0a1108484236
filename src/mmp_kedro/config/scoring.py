"""``params:batch_scoring``, typed: how ``batch_inference`` walks a window.

Validated by Kedro from the node's type hint, once, before any node runs; the value
is set in ``conf/base/parameters.yml`` (overridden per env), not here.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field

from mmp_kedro.config.training import ParametersSection

#: ``auto``: a progress bar on a terminal, one log line per chunk otherwise.
ProgressDisplay = Literal["auto", "bar", "log", "off"]


class BatchScoringParams(ParametersSection):
    """``batch_scoring``: the window is read, scored and written chunk by chunk, so
    that memory holds one chunk whatever the window's size."""

    conf_key: ClassVar[str] = "batch_scoring"
    conf_file: ClassVar[str] = "conf/<env>/parameters.yml (or conf/base/)"

    #: Spine rows read, joined, predicted and written at a time.
    chunk_rows: Annotated[int, Field(ge=1)]
    progress: ProgressDisplay

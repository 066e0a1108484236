"""``spark.yml``, typed: the Spark session of the pipelines that run on Spark.

Read once per run that has a node tagged :data:`SPARK_NODE_TAG` (by
``hooks/spark_session.py``); the values are in ``conf/base/spark.yml``, not here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

#: The tag of the nodes that need a Spark session.
SPARK_NODE_TAG = "spark"


class SparkSettings(BaseModel):
    """Where Spark runs and how it is configured."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: ``local[2]``, or a cluster's master URL (``spark://host:7077``, ``yarn``...).
    master: str
    app_name: str
    #: Spark properties, as ``spark-defaults.conf`` would set them.
    options: dict[str, str | int | float | bool] = {}

    def spark_conf(self) -> dict[str, str]:
        """``options`` as the strings Spark reads (``true``, not ``True``)."""
        return {
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in self.options.items()
        }


def parse_spark_settings(config: dict[str, Any], env: str) -> SparkSettings:
    """``config`` (the env's ``spark.yml``) validated.

    Raises:
        ValueError: naming the file and every wrong field.
    """
    try:
        return SparkSettings.model_validate(config)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}"
            for e in err.errors()
        )
        raise ValueError(
            f"conf/{env}/spark.yml (merged onto conf/base/spark.yml): {problems}"
        ) from None

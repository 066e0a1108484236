#!/usr/bin/env bash
# Run by the postgres image on first start: the same databases infra/dev-stack creates.
set -euo pipefail
for db in mlflow "${FEAST_REGISTRY_DB:-feast_registry}" "${OPTUNA_DB:-optuna}"; do
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "CREATE DATABASE \"$db\" OWNER \"$POSTGRES_USER\""
done
# See infra/dev-stack: Feast's point-in-time SQL needs hash joins to be fast.
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "ALTER DATABASE \"$POSTGRES_DB\" SET enable_nestloop = off"

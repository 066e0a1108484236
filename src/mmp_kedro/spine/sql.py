"""Reading loader SQL with sqlglot: its output columns (names, declared string
lengths) and its bound parameters.

Loader SQL binds context values as ``:name`` placeholders (SQLAlchemy style), which
every engine receives as driver-level parameters, never as spliced text.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from mmp_kedro.services.redaction import redacted_excerpt

_BIND_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


class LoaderSQLError(ValueError):
    """The loader SQL cannot be used as a spine query."""


def parse_loader_sql(sql: str, source: str = "loader SQL") -> exp.Query:
    """Parse one SELECT statement, or fail naming ``source``."""
    try:
        statements = [s for s in sqlglot.parse(sql) if s is not None]
    except SqlglotError as err:
        raise LoaderSQLError(f"{source}: SQL does not parse: {_where(err)}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise LoaderSQLError(
            f"{source}: expected exactly one SELECT statement, found "
            f"{len(statements)} statement(s)"
        )
    return statements[0]


def _where(err: SqlglotError) -> str:
    """Where and why the SQL failed to parse, quoting at most a short, redacted
    excerpt of it: the file may not be SQL at all, and hold secrets."""
    problems = getattr(err, "errors", None) if isinstance(err, ParseError) else None
    if not problems:
        return "it cannot be split into SQL tokens (an unclosed quote?)"
    first = problems[0]
    reason = str(first.get("description") or "invalid SQL").split(" <Token", 1)[0]
    excerpt = redacted_excerpt(str(first.get("highlight") or ""))
    return (
        f"line {first.get('line')}, column {first.get('col')}: {reason} "
        f"(near {excerpt!r})"
    )


def output_columns(sql: str, source: str = "loader SQL") -> list[str]:
    """The names of the top-level SELECT's output columns.

    Aliases are honoured and table prefixes dropped (``e.user_id AS uid`` gives
    ``uid``, ``e.user_id`` gives ``user_id``). ``*`` and unnamed expressions are
    refused because the columns could not be known without running the query, and a
    name given twice (``e.user_id, p.user_id``) because the spine's columns are
    addressed by name.
    """
    query = parse_loader_sql(sql, source)
    selects = query.selects
    if any(s.is_star for s in selects):
        raise LoaderSQLError(
            f"{source}: 'SELECT *' hides the spine's columns; list them explicitly"
        )
    names = query.named_selects
    unnamed = [s.sql() for s, n in zip(selects, names, strict=True) if not n]
    if unnamed:
        raise LoaderSQLError(f"{source}: give these expressions an alias: {unnamed}")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise LoaderSQLError(
            f"{source}: the column(s) {repeated} are selected more than once: give "
            "each column of the top-level SELECT its own name (alias all but one)"
        )
    return names


def declared_string_lengths(sql: str, source: str = "loader SQL") -> dict[str, int]:
    """The declared length of each top-level output column that is a cast to a sized
    string type: ``CAST(user_id AS VARCHAR(32)) AS user_id`` (or ``user_id::CHAR(32)``)
    gives ``{"user_id": 32}``. Other columns, unsized ``VARCHAR``/``TEXT`` and every
    column of a ``UNION`` (whose branches may differ) are absent: their length is not
    known without running the query.
    """
    query = parse_loader_sql(sql, source)
    lengths: dict[str, int] = {}
    if not isinstance(query, exp.Select):
        return lengths
    for select, name in zip(query.selects, query.named_selects, strict=True):
        expression = select.unalias()
        if not (
            isinstance(expression, exp.Cast)  # TRY_CAST included
            and expression.to.is_type(*exp.DataType.TEXT_TYPES)
            and len(expression.to.expressions) == 1
        ):
            continue
        size = expression.to.expressions[0].this
        if isinstance(size, exp.Literal) and size.is_int:
            lengths[name] = int(size.name)
    return lengths


def as_subquery(sql: str, alias: str) -> str:
    """``sql`` as ``(...) AS alias`` for an outer query: its trailing ``;`` dropped and
    its own lines kept apart, so a last-line ``--`` comment cannot swallow the ``)``."""
    return f"(\n{sql.strip().rstrip(';')}\n) AS {alias}"


def table_names(sql: str) -> set[str]:
    """The tables ``sql`` reads by name (its CTEs excluded), lower-cased; empty for
    SQL that does not parse (running it will say why)."""
    try:
        statements = [s for s in sqlglot.parse(sql) if s is not None]
    except SqlglotError:
        return set()
    names: set[str] = set()
    for statement in statements:
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        names |= {
            table.name.lower()
            for table in statement.find_all(exp.Table)
            if table.name and table.name.lower() not in ctes
        }
    return names


def bind_parameter_names(sql: str) -> list[str]:
    """The ``:name`` placeholders the SQL expects, in first-use order."""
    seen: dict[str, None] = {}
    for match in _BIND_PARAM.finditer(_strip_literals_and_comments(sql)):
        seen.setdefault(match.group(1), None)
    return list(seen)


def _strip_literals_and_comments(sql: str) -> str:
    """Blank out quoted strings and comments so ``':x'`` or ``-- :x`` never bind."""
    pattern = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.S)
    return pattern.sub(" ", sql)

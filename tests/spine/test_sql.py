"""``table_names``: which named tables a loader SQL reads (LOCAL creates a view
only for those); ``declared_string_lengths``: the sized string casts of its columns."""

from __future__ import annotations

from mmp_kedro.spine.sql import declared_string_lengths, table_names


def test_tables_read_by_name_without_the_ctes() -> None:
    sql = """
        WITH recent AS (SELECT * FROM Events WHERE event_timestamp > :start_date)
        SELECT r.user_id, p.price FROM recent r JOIN main.products p USING (product_id)
    """
    assert table_names(sql) == {"events", "products"}


def test_files_read_directly_are_no_table() -> None:
    assert table_names("SELECT * FROM read_parquet('data/x.parquet')") == set()


def test_sql_that_does_not_parse_reads_no_known_table() -> None:
    assert table_names("SELECT FROM WHERE ((") == set()


def test_sized_string_casts_give_their_declared_length() -> None:
    sql = """
        SELECT CAST(e.user_id AS VARCHAR(32)) AS user_id, e.sku::CHAR(8) AS sku,
               TRY_CAST(e.session_id AS CHARACTER VARYING(12)) AS visit,
               CAST(e.note AS TEXT) AS note, CAST(e.grp AS VARCHAR) AS grp,
               CAST(e.price AS DECIMAL(10, 2)) AS price, e.country
        FROM events AS e
    """
    assert declared_string_lengths(sql) == {"user_id": 32, "sku": 8, "visit": 12}


def test_union_columns_have_no_declared_length() -> None:
    sql = "SELECT CAST(a AS VARCHAR(3)) AS a FROM t UNION ALL SELECT a FROM u"
    assert declared_string_lengths(sql) == {}

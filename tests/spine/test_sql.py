"""``table_names``: which named tables a loader SQL reads (LOCAL creates a view
only for those)."""

from __future__ import annotations

from mmp_kedro.spine.sql import table_names


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

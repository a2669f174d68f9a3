#!/usr/bin/env python3
"""Runs queries with DuckDB over an NDJSON file (as table `access`) for comparison with streamq.

    duckdb_query.py FILE QUERIES.json

QUERIES.json holds a JSON list of SQL strings. For each query one line is printed: a JSON object
{"rows": [...]} with every row as an object (timestamps as ISO-8601 UTC with milliseconds), or
{"error": "..."}."""
import datetime, decimal, json, sys
import duckdb

path, queries_path = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"CREATE TABLE access AS SELECT * FROM read_json_auto('{path}', format='newline_delimited')")


def plain(value):
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


for sql in json.load(open(queries_path)):
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        rows = [{name: plain(value) for name, value in zip(columns, row)} for row in cursor.fetchall()]
        print(json.dumps({"rows": rows}))
    except Exception as error:  # reported per query, so one bad query does not hide the others
        print(json.dumps({"error": str(error)}))

#!/usr/bin/env python3
"""Runs one query with DuckDB over an NDJSON file (as table `access`) and prints the rows as
JSON lines, timestamps as ISO-8601 UTC with milliseconds, for comparison with streamq."""
import datetime, json, sys
import duckdb

path, sql = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
con.execute(f"CREATE TABLE access AS SELECT * FROM read_json_auto('{path}', format='newline_delimited')")
cursor = con.execute(sql)
columns = [d[0] for d in cursor.description]
for row in cursor.fetchall():
    out = {}
    for name, value in zip(columns, row):
        if isinstance(value, datetime.datetime):
            value = value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        out[name] = value
    print(json.dumps(out))

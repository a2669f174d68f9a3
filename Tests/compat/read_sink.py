#!/usr/bin/env python3
"""Reads files a streamq sink wrote, the way users' tools do, and prints what they see.

    read_sink.py FORMAT 'GLOB' [ORDER_BY]

Prints one JSON object: {"duckdb": [rows...], "pyarrow": [rows...], "types" (parquet):
{column: type}}. Rows are objects; timestamps become ISO-8601 UTC strings with milliseconds."""
import datetime, glob, json, sys
import duckdb

fmt, pattern = sys.argv[1], sys.argv[2]
order = sys.argv[3] if len(sys.argv) > 3 else None


def plain(value):
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


con = duckdb.connect()
con.execute("SET TimeZone = 'UTC'")
source = {
    "parquet": f"read_parquet('{pattern}')",
    "csv": f"read_csv('{pattern}', header=true, all_varchar=true)",
    "jsonl": f"read_json_auto('{pattern}', format='newline_delimited')",
}[fmt]
cursor = con.execute(f"SELECT * FROM {source}" + (f" ORDER BY {order}" if order else ""))
columns = [d[0] for d in cursor.description]
result = {"duckdb": [{c: plain(v) for c, v in zip(columns, row)} for row in cursor.fetchall()]}
if fmt == "parquet":
    import pyarrow.parquet as pq
    import pyarrow as pa
    tables = [pq.read_table(path) for path in sorted(glob.glob(pattern, recursive=True))]
    table = pa.concat_tables(tables) if tables else None
    result["types"] = {field.name: str(field.type) for field in table.schema} if table is not None else {}
    result["row_groups"] = sum(pq.ParquetFile(path).num_row_groups for path in glob.glob(pattern, recursive=True))
    rows = table.to_pylist() if table is not None else []
    result["pyarrow"] = [{c: plain(v) for c, v in row.items()} for row in rows]
else:
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.json as pjson
    rows = []
    for path in sorted(glob.glob(pattern, recursive=True)):
        stream = pa.input_stream(path, compression="detect")
        if fmt == "csv":
            table = pcsv.read_csv(stream, convert_options=pcsv.ConvertOptions(strings_can_be_null=True))
        else:
            table = pjson.read_json(stream)
        rows += table.to_pylist()
    result["pyarrow"] = [{c: plain(v) for c, v in row.items()} for row in rows]
print(json.dumps(result, default=str))

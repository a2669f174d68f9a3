/// Differential cases for the scalar and time functions of issue 13: text, numbers, hashes, URL
/// coding, `strftime`/`strptime`, `make_timestamp`, epochs and date differences, over the
/// generated access logs and the odd records (host `edge`: NULLs, a missing path, non-ASCII users).
/// `ts` is epoch milliseconds: streamq reads it as a time, DuckDB through `epoch_ms(ts)`.
extension DuckDBComparisonTests {
    static let functionCases: [(streamq: String, duckdb: String)] = [
        (
            "SELECT user, left(user, 3) AS l, left(user, -2) AS ln, right(user, 2) AS r, right(user, -1) AS rn, lpad(user, 9, '·') AS lp, rpad(user, 4, 'ab') AS rp, lpad(path, 3, 'x') AS pp, reverse(user) AS rev, contains(path, 'é') AS c, ends_with(path, 'items') AS e FROM access WHERE host = 'edge' ORDER BY user",
            "SELECT user, left(user, 3) AS l, left(user, -2) AS ln, right(user, 2) AS r, right(user, -1) AS rn, lpad(user, 9, '·') AS lp, rpad(user, 4, 'ab') AS rp, lpad(path, 3, 'x') AS pp, reverse(user) AS rev, contains(path, 'é') AS c, ends_with(path, 'items') AS e FROM access WHERE host = 'edge' ORDER BY user"
        ),
        (
            "SELECT method, count(*) FILTER (WHERE contains(user_agent, 'curl')) AS curl, count(*) FILTER (WHERE ends_with(path, 's')) AS plural, count(ends_with(path, '')) AS known, sum(length(left(path, 5))) AS l5, sum(length(right(path, -2))) AS r2, sum(length(rpad(user, 6, '*'))) AS padded FROM access GROUP BY method ORDER BY method",
            "SELECT method, count(*) FILTER (WHERE contains(user_agent, 'curl')) AS curl, count(*) FILTER (WHERE ends_with(path, 's')) AS plural, count(ends_with(path, '')) AS known, sum(length(left(path, 5))) AS l5, sum(length(right(path, -2))) AS r2, sum(length(rpad(user, 6, '*'))) AS padded FROM access GROUP BY method ORDER BY method"
        ),
        (
            "SELECT DISTINCT path, md5(path) AS h, url_encode(path) AS enc, url_decode(url_encode(path)) AS dec, url_decode(replace(path, '/', '%2f')) AS d2, md5(user_agent) AS ua FROM access WHERE host = 'edge' OR status = 301 ORDER BY path NULLS LAST, ua NULLS LAST",
            "SELECT DISTINCT path, md5(path) AS h, url_encode(path) AS enc, url_decode(url_encode(path)) AS dec, url_decode(replace(path, '/', '%2f')) AS d2, md5(user_agent) AS ua FROM access WHERE host = 'edge' OR status = 301 ORDER BY path NULLS LAST, ua NULLS LAST"
        ),
        (
            // hash values differ from DuckDB's by design: only their properties are compared.
            "SELECT count(DISTINCT hash(user)) AS hashes, count(DISTINCT user) AS users, count(*) FILTER (WHERE hash(user) >= 0) AS non_negative, count(*) FILTER (WHERE hash(path) IS NULL) AS null_hashes, count(DISTINCT hash(path)) AS path_hashes, count(DISTINCT path) + 1 AS paths_and_null FROM access",
            "SELECT count(DISTINCT hash(user)) AS hashes, count(DISTINCT user) AS users, count(*) FILTER (WHERE hash(user) >= 0) AS non_negative, count(*) FILTER (WHERE hash(path) IS NULL) AS null_hashes, count(DISTINCT hash(path)) AS path_hashes, count(DISTINCT path) + 1 AS paths_and_null FROM access"
        ),
        (
            "SELECT method, sum(sign(latency_ms - 40)) AS s, sum(sign(bytes)) AS sb, sum(mod(bytes, 7)) AS m, sum(bytes % -1000) AS m2, sum(mod(latency_ms, 3)) AS fm, max(log10(bytes + 1)) AS lg, min(log2(latency_ms + 1)) AS l2, avg(exp(latency_ms / 1000)) AS e, sum(trunc(latency_ms)) AS t, sum(trunc(latency_ms, 1)) AS t1, sum(trunc(bytes, -2)) AS tb, sum(trunc(-bytes, -3)) AS tn FROM access GROUP BY method ORDER BY method",
            "SELECT method, sum(sign(latency_ms - 40)) AS s, sum(sign(bytes)) AS sb, sum(mod(bytes, 7)) AS m, sum(bytes % -1000) AS m2, sum(mod(latency_ms, 3)) AS fm, max(log10(bytes + 1)) AS lg, min(log2(latency_ms + 1)) AS l2, avg(exp(latency_ms / 1000)) AS e, sum(trunc(latency_ms)) AS t, sum(trunc(latency_ms, 1)) AS t1, sum(trunc(bytes, -2)) AS tb, sum(trunc(-bytes, -3)) AS tn FROM access GROUP BY method ORDER BY method"
        ),
        (
            "SELECT count(*) FILTER (WHERE regexp_full_match(path, '/api/.*')) AS api, count(*) FILTER (WHERE regexp_full_match(user, 'U[0-9]+', 'i')) AS users, count(*) FILTER (WHERE regexp_full_match(user, 'u[0-9]')) AS short, count(regexp_full_match(path, '.*é')) AS known, count(*) FILTER (WHERE regexp_full_match(user, 'na.ve')) AS naive FROM access",
            "SELECT count(*) FILTER (WHERE regexp_full_match(path, '/api/.*')) AS api, count(*) FILTER (WHERE regexp_full_match(user, 'U[0-9]+', 'i')) AS users, count(*) FILTER (WHERE regexp_full_match(user, 'u[0-9]')) AS short, count(regexp_full_match(path, '.*é')) AS known, count(*) FILTER (WHERE regexp_full_match(user, 'na.ve')) AS naive FROM access"
        ),
        (
            "SELECT strftime(ts, '%Y-%m-%d %H:%M') AS minute, count(*) AS n FROM access GROUP BY minute ORDER BY minute LIMIT 5",
            "SELECT strftime(epoch_ms(ts), '%Y-%m-%d %H:%M') AS minute, count(*) AS n FROM access GROUP BY minute ORDER BY minute LIMIT 5"
        ),
        (
            "SELECT DISTINCT strftime(ts, '%a %A %w %u %b %h %B %-m %-d %d %j %-j %y %-y %G %V %U %W %I %-I %p %-H %-M %z %%') AS f FROM access ORDER BY f",
            "SELECT DISTINCT strftime(epoch_ms(ts), '%a %A %w %u %b %h %B %-m %-d %d %j %-j %y %-y %G %V %U %W %I %-I %p %-H %-M %z %%') AS f FROM access ORDER BY f"
        ),
        (
            "SELECT user, strftime(ts, '%H:%M:%S.%g|%f|%n|%c|%x|%X|%T') AS f, strftime(ts, 'ü %S') AS g, strftime('%j %U', ts) AS swapped FROM access WHERE host = 'edge' ORDER BY user",
            "SELECT user, strftime(epoch_ms(ts), '%H:%M:%S.%g|%f|%n|%c|%x|%X|%T') AS f, strftime(epoch_ms(ts), 'ü %S') AS g, strftime('%j %U', epoch_ms(ts)) AS swapped FROM access WHERE host = 'edge' ORDER BY user"
        ),
        (
            "SELECT min(strptime(strftime(ts, '%d/%b/%Y:%H:%M:%S.%g +0130'), '%d/%b/%Y:%H:%M:%S.%g %z')) AS clf, max(try_strptime(user, '%Y')) AS never, count(try_strptime(path, '/api/v%m/%d')) AS odd, sum(epoch_ms(strptime(strftime(ts, '%Y-%m-%d %H:%M:%S.%g'), '%Y-%m-%d %H:%M:%S.%g')) - ts) AS drift, count(*) FILTER (WHERE try_strptime(strftime(ts, '%A %B %-d %y %I:%M %p'), '%A %B %d %y %I:%M %p') IS NULL) AS failed FROM access",
            "SELECT min(strptime(strftime(epoch_ms(ts), '%d/%b/%Y:%H:%M:%S.%g +0130'), '%d/%b/%Y:%H:%M:%S.%g %z')) AS clf, max(try_strptime(user, '%Y')) AS never, count(try_strptime(path, '/api/v%m/%d')) AS odd, sum(epoch_ms(strptime(strftime(epoch_ms(ts), '%Y-%m-%d %H:%M:%S.%g'), '%Y-%m-%d %H:%M:%S.%g')) - ts) AS drift, count(*) FILTER (WHERE try_strptime(strftime(epoch_ms(ts), '%A %B %-d %y %I:%M %p'), '%A %B %d %y %I:%M %p') IS NULL) AS failed FROM access"
        ),
        (
            "SELECT user, strptime(strftime(ts, '%b %d %H:%M:%S'), '%b %d %H:%M:%S') AS syslog, strptime('Nov  3 9:2:1 pm', '%b %d %I:%M:%S %p') AS pm, try_strptime(path, '/%m/%d') AS p, make_timestamp(2026, 1, 2, 3, 4, 5.5) AS made, make_timestamp(2024, 2, 29, 23, 59, 60) AS rolled, make_timestamp(ts * 1000) AS micros, make_timestamp(2026, 1, status % 28 + 1, 0, 0, 0) AS by_status FROM access WHERE host = 'edge' ORDER BY user",
            "SELECT user, strptime(strftime(epoch_ms(ts), '%b %d %H:%M:%S'), '%b %d %H:%M:%S') AS syslog, strptime('Nov  3 9:2:1 pm', '%b %d %I:%M:%S %p') AS pm, try_strptime(path, '/%m/%d') AS p, make_timestamp(2026, 1, 2, 3, 4, 5.5) AS made, make_timestamp(2024, 2, 29, 23, 59, 60) AS rolled, make_timestamp(ts * 1000) AS micros, make_timestamp(2026, 1, status % 28 + 1, 0, 0, 0) AS by_status FROM access WHERE host = 'edge' ORDER BY user"
        ),
        (
            "SELECT status, sum(epoch(ts) - ts / 1000) AS zero, max(epoch_us(ts)) AS us, min(epoch(ts)) AS first, max(epoch(date_add(ts, INTERVAL '1.5 seconds'))) AS last FROM access GROUP BY status ORDER BY status NULLS LAST",
            "SELECT status, sum(epoch(epoch_ms(ts)) - ts / 1000) AS zero, max(epoch_us(epoch_ms(ts))) AS us, min(epoch(epoch_ms(ts))) AS first, max(epoch(date_add(epoch_ms(ts), INTERVAL '1.5 seconds'))) AS last FROM access GROUP BY status ORDER BY status NULLS LAST"
        ),
        (
            "SELECT method, sum(date_diff('second', '2026-01-01T00:00:00Z', ts)) AS s, sum(date_sub('minute', '2026-01-01T00:00:00Z', ts)) AS m, sum(date_diff('day', ts, '2026-03-01T00:00:00Z')) AS d, sum(date_sub('month', '2025-11-30T12:00:00Z', ts)) AS mo, sum(date_diff('week', '2025-12-01T00:00:00Z', ts)) AS w, sum(date_sub('hours', ts, '2025-12-31T22:30:00Z')) AS h, sum(date_diff('ms', '2026-01-01T00:00:00Z', ts)) AS ms, sum(date_diff('year', '1999-12-31T23:59:59Z', ts)) AS y, max(date_add(ts, INTERVAL '90 minutes')) AS later FROM access GROUP BY method ORDER BY method",
            "SELECT method, sum(date_diff('second', TIMESTAMP '2026-01-01 00:00:00', epoch_ms(ts))) AS s, sum(date_sub('minute', TIMESTAMP '2026-01-01 00:00:00', epoch_ms(ts))) AS m, sum(date_diff('day', epoch_ms(ts), TIMESTAMP '2026-03-01 00:00:00')) AS d, sum(date_sub('month', TIMESTAMP '2025-11-30 12:00:00', epoch_ms(ts))) AS mo, sum(date_diff('week', TIMESTAMP '2025-12-01 00:00:00', epoch_ms(ts))) AS w, sum(date_sub('hours', epoch_ms(ts), TIMESTAMP '2025-12-31 22:30:00')) AS h, sum(date_diff('ms', TIMESTAMP '2026-01-01 00:00:00', epoch_ms(ts))) AS ms, sum(date_diff('year', TIMESTAMP '1999-12-31 23:59:59', epoch_ms(ts))) AS y, max(date_add(epoch_ms(ts), INTERVAL '90 minutes')) AS later FROM access GROUP BY method ORDER BY method"
        ),
    ]
}

"""The screening engine: declarative rules compiled to SQL, run by DuckDB (or Spark) over a snapshot.

Plain Python, no Django: the Django side writes the snapshot (`schema`), calls `run.run`, stores the hits.

    from zhenxing.screening.engine.run import explain, run
    result = run(snapshot_dir, params, as_of)          # RunResult: hits, counts, seconds, log
    for hit in result.hits: explain(hit)

Modules: `schema` (the snapshot), `rules` (the rule definitions), `expr` (their condition language),
`compile` (definitions → SQL per dialect), `run` (evaluation, `Hit`, `explain`), `duckdb_backend`,
`spark_backend`, `generate` (synthetic snapshots), `snapshot` (writing snapshot tables from rows),
`testing` (hand-written snapshots for tests), `defaults` (the 2024 parameters, typed).
"""

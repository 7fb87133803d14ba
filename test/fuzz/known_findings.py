"""
test/fuzz/known_findings.py -- open fuzz findings in code other people own.

The oracle of test/fuzz/fuzz.py skips a violation that matches an entry
here, counts it as "known" and prints the entry's id, so that the CI run
stays green while the fix is pending.  Each entry carries a reproducer
(plain SQL, run in a database with the extension) and the owner.  When a fix
merges, delete its entry: the fuzzer then asserts the fix (a violation that
no entry matches fails the run).  Entries that matched nothing in a run are
listed at the end of its output, so that stale ones are noticed.

Fields:
    id        short name, cited in the fuzzer's output
    function  the extension function (pg_proc.proname) the violation is in,
              or the type name for the input fuzzer
    kind      'crash' | 'sqlstate' | 'nonfinite' | 'ubsan' (a report line of
              test/run.sh sanitize, matched by message)
    sqlstate  for kind 'sqlstate': the unexpected SQLSTATE (regular
              expression, anchored)
    message   optional regular expression the error message must match
    owner     who fixes it (issue 9 points in brackets)
    repro     SQL that shows it
"""

KNOWN = [
    # found when the fuzzer's sequence moved with a new function (margin_summary, issue 14); reproduced by hand:
    # a file of blanks passes the parser with no header record and reaches the INSERT into span_files
    {"id": "span-blank-file-23502", "function": "load_span_file", "kind": "sqlstate", "sqlstate": "23502",
     "message": r'null value in column "exchange_complex" of relation "span_files"',
     "owner": "SPAN loader (load_span_file, the SPAN section of sql/portmargin--0.3.1--0.4.0.sql): expected 22023/22P02 naming the missing header record",
     "repro": "SELECT portmargin.create_span_tables('fz2'); SELECT portmargin.load_span_file('fz2', ' ', 'account_ids');"},
]

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
]

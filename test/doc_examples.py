#!/usr/bin/python3
"""Run the SQL examples of the documentation and compare their output.

Convention (README.md, doc/*.md):

    <!-- example -->
    ```sql
    SELECT ...;
    ```

    ```
     expected psql output (default aligned format, with the "(N rows)" footer)
    ```

`<!-- example -->` on the line immediately before a ```sql block marks it
as an example; the next fenced block (a plain ``` block, with only blank
lines in between) holds its expected output.  `<!-- example: setup -->`
marks a ```sql block that is run but whose output is not checked (it has no
expected block).  `<!-- example: reader -->` marks an example that only
reads views: with --reader it runs as the read-only role (see below).  The examples of one page run in order in one psql session
against a fresh database made for that page (`CREATE EXTENSION portmargin`
first, database dropped at the end), so later examples can use the tables
of earlier ones.

Usage:  test/doc_examples.py [--print] [--role ROLE [--reader ROLE]] [files...]

--role ROLE runs every page as ROLE, an ordinary role (no superuser, made
NOLOGIN if it does not exist): the connecting superuser creates the
extension, grants ROLE CREATE on the page's database and the configuration
tables (portmargin.grant_configuration), then the examples run after SET
ROLE, as an application role would run them (doc/security.md).
--reader ROLE (with --role) runs each `example: reader` as ROLE, an
ordinary role with SELECT on the views alone: before the example, the
application role grants it every reference schema it owns
(portmargin.grant_reader), and the example must print the same output.

Without files: README.md, doc/*.md and doc/venues/*.md that contain at
least one marker.
Prints TAP-ish `ok N - file: example K (line L)` lines (L is the line of the
```sql fence), a unified diff for each mismatch, a summary; exit status 1 on
any failure.  An ERROR fails the example that raised it, and the examples
after it on the same page are not run.  NOTICEs and warnings are ignored.
`--print` prints the actual output of every example, fenced and ready to
paste, and compares nothing.

The connection comes from the usual PG* environment variables (PGHOST,
PGPORT, PGUSER, ...).  Python 3 standard library only.
"""

import argparse
import difflib
import glob
import os
import re
import subprocess
import sys
import tempfile

PSQL_ARGS = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-P', 'pager=off']
MARKER_RE = re.compile(r'^\s*<!--\s*example\s*(?::\s*(setup|reader)\s*)?-->\s*$')
# any HTML comment that starts with "example": a misspelt marker is an error,
# not a silently skipped example
LOOSE_MARKER_RE = re.compile(r'^\s*<!--\s*examples?\b', re.IGNORECASE)
FENCE_RE = re.compile(r'^(\s*)(`{3,}|~{3,})\s*([^`\s]*)[^`]*$')
ECHO_RE = re.compile(r'^@@example (\d+)@@$')
ERROR_RE = re.compile(r'^psql:(.*?):(\d+): (ERROR|FATAL|PANIC):')


class Block:
    def __init__(self, lang, start, end, lines):
        self.lang = lang          # info string's first word, '' for a plain fence
        self.start = start        # 1-based line of the opening fence
        self.end = end            # 1-based line of the closing fence
        self.lines = lines        # content, fence indentation removed


class Example:
    def __init__(self, number, setup, sql, expected, reader=False):
        self.number = number      # 1-based, per page, setup examples included
        self.setup = setup
        self.reader = reader      # reads views only: run as the --reader role
        self.sql = sql            # Block
        self.expected = expected  # Block, or None for setup examples

    @property
    def line(self):
        return self.sql.start


class PageError(Exception):
    pass


def parse_blocks(lines):
    """Fenced blocks and the markers outside them.

    Returns (items, problems): items is a list of ('marker', lineno, setup)
    and ('block', Block) in document order."""
    items, problems = [], []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        m = FENCE_RE.match(line)
        if m:
            indent, fence, lang = len(m.group(1)), m.group(2), m.group(3)
            start = i + 1
            body = []
            i += 1
            closed = False
            while i < n:
                c = lines[i]
                s = c.strip()
                if (s and set(s) == {fence[0]} and len(s) >= len(fence)):
                    closed = True
                    break
                # remove at most the opening fence's indentation
                k = 0
                while k < indent and k < len(c) and c[k] == ' ':
                    k += 1
                body.append(c[k:])
                i += 1
            if not closed:
                problems.append('line %d: fenced block never closed' % start)
            items.append(('block', Block(lang.lower(), start, i + 1, body)))
            i += 1
            continue
        m = MARKER_RE.match(line)
        if m:
            items.append(('marker', i + 1, m.group(1)))
        elif LOOSE_MARKER_RE.match(line):
            problems.append('line %d: unrecognised example marker %r'
                            % (i + 1, line.strip()))
        i += 1
    return items, problems


def parse_page(path):
    """The examples of one page, or PageError for a malformed page."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    items, problems = parse_blocks(lines)
    examples = []
    for idx, item in enumerate(items):
        if item[0] != 'marker':
            continue
        _, lineno, kind = item
        setup = kind == 'setup'
        nxt = items[idx + 1] if idx + 1 < len(items) else None
        if (nxt is None or nxt[0] != 'block' or nxt[1].start != lineno + 1
                or nxt[1].lang != 'sql'):
            problems.append('line %d: example marker not immediately followed '
                            'by a ```sql block' % lineno)
            continue
        sql = nxt[1]
        expected = None
        if not setup:
            out = items[idx + 2] if idx + 2 < len(items) else None
            gap = (lines[sql.end:out[1].start - 1]
                   if out is not None and out[0] == 'block' else None)
            if (out is None or out[0] != 'block' or out[1].lang != ''
                    or any(g.strip() for g in gap)):
                problems.append('line %d: example\'s ```sql block (line %d) is '
                                'not followed by a plain ``` block with its '
                                'expected output (only blank lines may '
                                'separate them)' % (lineno, sql.start))
                continue
            expected = out[1]
        last = [l for l in sql.lines if l.strip() and not l.strip().startswith('--')]
        if not last:
            problems.append('line %d: empty example' % sql.start)
            continue
        tail = last[-1].strip()
        if not (re.search(r';\s*(--.*)?$', tail) or tail.startswith('\\')):
            problems.append('line %d: example SQL must end with ";" (or a psql '
                            'backslash command)' % sql.start)
            continue
        examples.append(Example(len(examples) + 1, setup, sql, expected, kind == 'reader'))
    if problems:
        problems.sort(key=lambda p: int(re.match(r'line (\d+)', p).group(1)))
        raise PageError('\n'.join(problems))
    return examples


def normalise(lines):
    out = [l.rstrip() for l in lines]
    while out and not out[0]:
        out.pop(0)
    while out and not out[-1]:
        out.pop()
    return out


def psql(db, args, **kw):
    return subprocess.run(['psql'] + PSQL_ARGS + ['-d', db] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, **kw)


def quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text):
    return "'" + text.replace("'", "''") + "'"


def db_name(prefix, path):
    stem = re.sub(r'[^a-z0-9]+', '_', os.path.splitext(os.path.basename(path))[0].lower())
    return ('%s%s_%d' % (prefix, stem, os.getpid()))[:63]


def run_page(path, examples, args):
    """Run a page's examples in one session.

    Returns (outputs, failed_at, error): outputs maps example number to its
    output lines; failed_at is the number of the example that raised an
    ERROR (0 for the setup before the first example), or None."""
    db = db_name(args.db_prefix, path)
    r = psql(args.maintenance_db,
             ['-c', 'CREATE DATABASE %s TEMPLATE template0' % quote_ident(db)])
    if r.returncode != 0:
        return {}, 0, 'cannot create database %s: %s' % (db, r.stderr.strip())
    try:
        script = ['CREATE EXTENSION portmargin;']
        if args.role:
            # an application role: CREATE on this database, the configuration tables
            for role in [args.role] + ([args.reader] if args.reader else []):
                script.append("DO $r$ BEGIN IF to_regrole(%s) IS NULL THEN CREATE ROLE %s NOLOGIN; END IF; END $r$;"
                              % (quote_literal(role), quote_ident(role)))
            script.append('GRANT CREATE ON DATABASE %s TO %s;' % (quote_ident(db), quote_ident(args.role)))
            script.append('\\o /dev/null')
            script.append('SELECT portmargin.grant_configuration(%s);' % quote_literal(quote_ident(args.role)))
            script.append('\\o')
            script.append('SET ROLE %s;' % quote_ident(args.role))
        origin = {}   # script line -> (example number, markdown line)
        for ex in examples:
            script.append('\\echo @@example %d@@' % ex.number)
            as_reader = args.reader and ex.reader
            if as_reader:
                # the application role grants the reader every reference schema it owns; the example runs as the reader
                script.append('\\o /dev/null')
                script.append("SELECT portmargin.grant_reader(n.nspname, %s) FROM pg_catalog.pg_namespace n "
                              "WHERE n.nspowner = current_user::regrole "
                              "AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid "
                              "AND c.relname = 'account_margin_detail');"
                              % quote_literal(quote_ident(args.reader)))
                script.append('\\o')
                script.append('SET ROLE %s;' % quote_ident(args.reader))
            for k, l in enumerate(ex.sql.lines):
                script.append(l)
                origin[len(script)] = (ex.number, ex.sql.start + 1 + k)
            if as_reader:
                script.append('SET ROLE %s;' % quote_ident(args.role))
        with tempfile.NamedTemporaryFile('w', suffix='.sql', prefix='doc_examples_',
                                         encoding='utf-8', delete=False) as f:
            f.write('\n'.join(script) + '\n')
            script_path = f.name
        try:
            r = psql(db, ['-f', script_path], timeout=args.timeout)
        except subprocess.TimeoutExpired:
            return {}, 0, 'psql timed out after %d s' % args.timeout
        finally:
            os.unlink(script_path)
        outputs, current = {}, None
        for l in r.stdout.split('\n'):
            m = ECHO_RE.match(l)
            if m:
                current = int(m.group(1))
                outputs[current] = []
            elif current is not None:
                outputs[current].append(l)
        if r.returncode == 0:
            return outputs, None, None
        # which example stopped the session: the script line of the ERROR,
        # else the last example that started
        failed_at = max(outputs) if outputs else 0
        where = ''
        for l in r.stderr.split('\n'):
            m = ERROR_RE.match(l)
            if m:
                line = int(m.group(2))
                if line in origin:
                    failed_at, mdline = origin[line]
                    where = ' (%s line %d)' % (path, mdline)
                elif line == 1:
                    failed_at = 0
                break
        errors = [l for l in r.stderr.split('\n')
                  if l and not re.search(r'\b(NOTICE|WARNING|INFO|DEBUG\d?|LOG):', l)]
        msg = 'psql exited with status %d%s:\n%s' % (r.returncode, where,
                                                      '\n'.join(errors).strip())
        return outputs, failed_at, msg
    finally:
        r = psql(args.maintenance_db, ['-c', 'DROP DATABASE IF EXISTS %s' % quote_ident(db)])
        if r.returncode != 0:
            sys.stderr.write('warning: could not drop database %s: %s\n'
                             % (db, r.stderr.strip()))


def diag(text):
    for l in text.rstrip('\n').split('\n'):
        print('# ' + l if l else '#')


def default_files(root):
    files = [os.path.join(root, 'README.md')] + sorted(glob.glob(os.path.join(root, 'doc', '*.md'))) \
            + sorted(glob.glob(os.path.join(root, 'doc', 'venues', '*.md')))
    found = []
    for f in files:
        if not os.path.exists(f):
            continue
        with open(f, encoding='utf-8') as fh:
            items, _ = parse_blocks(fh.read().split('\n'))
        if any(it[0] == 'marker' for it in items):
            found.append(f)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--print', dest='print_only', action='store_true',
                    help='print the actual output of every example; compare nothing')
    ap.add_argument('--db-prefix', default='doc_example_',
                    help='prefix of the per-page database name (default %(default)s)')
    ap.add_argument('--maintenance-db', default='postgres',
                    help='database connected to for CREATE/DROP DATABASE (default %(default)s)')
    ap.add_argument('--timeout', type=int, default=600,
                    help='seconds allowed per page (default %(default)s)')
    ap.add_argument('--role', help='run the examples as this ordinary (application) role')
    ap.add_argument('--reader', help='run the "example: reader" examples as this read-only role (needs --role)')
    ap.add_argument('files', nargs='*')
    args = ap.parse_args()
    if args.reader and not args.role:
        ap.error('--reader needs --role')

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = args.files or default_files(root)
    if not files:
        print('1..0 # no page has an example marker')
        return 0

    def show(path):
        if args.files:
            return path
        return os.path.relpath(path, root)

    n = passed = failed = 0

    def report(ok, path, ex, note=''):
        nonlocal n, passed, failed
        n += 1
        if ok:
            passed += 1
        else:
            failed += 1
        what = 'example %d (line %d%s)' % (ex.number, ex.line, ', setup' if ex.setup else (', as ' + args.reader if args.reader and ex.reader else ''))
        print('%s %d - %s: %s%s' % ('ok' if ok else 'not ok', n, show(path), what, note))

    for path in files:
        name = show(path)
        try:
            examples = parse_page(path)
        except (PageError, OSError, UnicodeDecodeError) as e:
            n += 1
            failed += 1
            print('not ok %d - %s: malformed page' % (n, name))
            diag(str(e))
            continue
        if not examples:
            n += 1
            failed += 1
            print('not ok %d - %s: no examples' % (n, name))
            continue
        outputs, failed_at, error = run_page(path, examples, args)

        if args.print_only:
            for ex in examples:
                if ex.number in outputs and (failed_at is None or ex.number < failed_at):
                    print('==> %s: example %d (line %d%s)'
                          % (name, ex.number, ex.line, ', setup' if ex.setup else ''))
                    print('```')
                    for l in normalise(outputs[ex.number]):
                        print(l)
                    print('```')
            if failed_at is not None:
                failed += 1
                print('==> %s: stopped at %s' % (name, 'example %d' % failed_at
                                                  if failed_at else 'CREATE EXTENSION'))
                diag(error)
            continue

        if failed_at == 0:
            n += 1
            failed += 1
            print('not ok %d - %s: page setup failed' % (n, name))
            diag(error)
        for ex in examples:
            if failed_at == 0:
                report(False, path, ex, ' # not run: page setup failed')
                continue
            if failed_at is not None and ex.number > failed_at:
                report(False, path, ex, ' # not run: example %d raised an error' % failed_at)
                continue
            if failed_at is not None and ex.number == failed_at:
                report(False, path, ex)
                diag(error)
                continue
            if ex.setup:
                report(True, path, ex)
                continue
            actual = normalise(outputs.get(ex.number, []))
            expected = normalise(ex.expected.lines)
            if actual == expected:
                report(True, path, ex)
            else:
                report(False, path, ex)
                diag(''.join(difflib.unified_diff(
                    [l + '\n' for l in expected], [l + '\n' for l in actual],
                    'expected (%s line %d)' % (name, ex.expected.start),
                    'actual', lineterm='\n')))

    if args.print_only:
        return 1 if failed else 0
    print('1..%d' % n)
    print('# %d ok, %d not ok, %d file%s' % (passed, failed, len(files),
                                            '' if len(files) == 1 else 's'))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

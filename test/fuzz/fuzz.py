#!/usr/bin/python3
"""
test/fuzz/fuzz.py -- random-argument and mutated-input fuzzing of portmargin.

    /usr/bin/python3 test/fuzz/fuzz.py functions [--calls N] [--seconds T] [--seed S]
    /usr/bin/python3 test/fuzz/fuzz.py inputs    [--cases N]  [--seconds T] [--seed S]
    /usr/bin/python3 test/fuzz/fuzz.py sanitizer-reports FILE   (used by test/run.sh sanitize)

Connects with the usual PG* environment variables (test/run.sh sets them)
to a database where the extension is installed.  Needs Debian's
python3-psycopg2 (test/run.sh installs it).

functions  Every function and aggregate of the installed extension, found at
           run time in pg_proc through pg_depend (so new functions are
           covered without editing this file), is called with arguments
           drawn from typed pools: NULL, NaN, +-Infinity, 0, -0, 1e308,
           5e-324, boundary integers, empty / 2-D / NULL-element / 200,000-
           element arrays, random and keyword text, dates and timestamps at
           the ends of their ranges, and values of the extension's own types
           returned by earlier calls (presets, generated scenario sets,
           margin states) or mutated from them.  Functions with an
           `internal` argument (aggregate support) are reached through their
           aggregates; cstring arguments (type input) get text.
inputs     Every type the extension defines (base and composite, from
           pg_type through pg_depend) gets seed values (from calls of the
           functions returning it, and test/fixtures/margin_state_v1.txt),
           whose text form is mutated and read back with ::type, and whose
           binary form (the type's send function) is mutated and loaded with
           COPY ... (FORMAT binary); each value read is then printed, sent
           and passed to functions that take the type.

Oracle, per statement: the backend does not crash (the connection survives
and, at the end, the server log -- PM_SERVER_LOG -- has no "terminated by
signal"); no SQLSTATE outside the expected classes (22 data exception, 53
insufficient resources, 54 program limit exceeded, 57014 the fuzzer's own
statement_timeout; for composite types' binary input also 08P01 and
42804, PostgreSQL's own record_recv errors), in particular no XX000
internal error and no 58xxx system error; the result of a call whose
arguments are all finite contains no NaN or Infinity (numbers only: text
fields are skipped); every function and type is reached.  Violations listed in test/fuzz/known_findings.py (open
defects in code other people own) are counted but do not fail the run.

The run is deterministic: a seeded random.Random drives every choice and
the statements do not depend on timing (only a statement that times out
can behave differently, and 57014 is an expected outcome).  Exit status 0
when there is no new violation, 1 otherwise; each new violation is printed
with a reproducer.
"""

import argparse
import io
import math
import os
import random
import re
import struct
import sys
import time

import psycopg2
import psycopg2.extensions

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from known_findings import KNOWN  # noqa: E402

# 0A000: a documented combination the extension does not support (a resting
# order row under the var method: doc/margin.md), refused by name
EXPECTED = re.compile(r"^(22...|53...|54...|57014|0A000)$")
# PostgreSQL's own record_recv (composite types' binary input) reports a
# malformed record as 08P01 (insufficient data left in message) or 42804
# (wrong column type or count): core behaviour, expected for composites
EXPECTED_COMPOSITE_RECV = re.compile(r"^(08P01|42804)$")
QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
NONFINITE = re.compile(r"(?<![A-Za-z])(NaN|-?Infinity)(?![A-Za-z])")
EXT = "portmargin"

# ---------------------------------------------------------------------------
# the server
# ---------------------------------------------------------------------------


class Server:
    """One autocommit connection; reconnects after a crash."""

    def __init__(self, timeout_ms):
        self.timeout_ms = timeout_ms
        self.conn = None
        self.connect()

    def connect(self, wait_s=60):
        deadline = time.time() + wait_s
        while True:
            try:
                self.conn = psycopg2.connect("")
                self.conn.autocommit = True
                cur = self.conn.cursor()
                cur.execute("SET statement_timeout = %d" % self.timeout_ms)
                cur.execute("SET client_min_messages = error")
                return
            except psycopg2.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

    def execute(self, sql, copy_data=None):
        """(sqlstate or None, message, rows as text tuples, crashed)"""
        try:
            cur = self.conn.cursor()
            if copy_data is not None:
                cur.copy_expert(sql, io.BytesIO(copy_data))
                return None, "", [], False
            cur.execute(sql)
            rows = cur.fetchall() if cur.description else []
            return None, "", rows, False
        except psycopg2.Error as e:
            if e.pgcode is None and (self.conn.closed or isinstance(e, (psycopg2.OperationalError,
                                                                        psycopg2.InterfaceError))):
                # the connection is gone: the backend crashed (or was killed)
                try:
                    self.conn.close()
                except Exception:
                    pass
                time.sleep(1.0)
                self.connect()
                return None, str(e).strip(), [], True
            return e.pgcode, (e.pgerror or str(e)).strip(), [], False

    def value(self, sql):
        st, msg, rows, crashed = self.execute(sql)
        if st or crashed:
            raise RuntimeError("setup statement failed: %s: %s\n%s" % (st, msg, sql))
        return rows


# ---------------------------------------------------------------------------
# literals
# ---------------------------------------------------------------------------


def q(s):
    """a standard-conforming SQL string literal"""
    return "'" + s.replace("'", "''") + "'"


class Lit:
    """an argument: SQL text and whether it is finite (no NaN / Inf in it)"""
    __slots__ = ("sql", "finite")

    def __init__(self, sql, finite=True):
        self.sql = sql
        self.finite = finite


def fmt_float(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 and math.copysign(1, x) < 0:
        return "-0"
    return repr(x)


SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e308, -1e308, 5e-324, -5e-324,
                  2.2250738585072014e-308, 1e-300, 1e-15, 1e15, 1e300, 1.7976931348623157e308,
                  float("nan"), float("inf"), float("-inf"), 100.0, 0.99, 0.999999999, 1e-9,
                  -0.5, 3.0, 60000.0, 1 / 365.0, 0.2, 0.05]
SPECIAL_INTS = [0, 1, -1, 2, 3, 10, 16, 100, 250, 1000, 100000, 10000000, 2147483647,
                -2147483648, 2147483646, 1 << 20]
SPECIAL_BIGINTS = SPECIAL_INTS + [9223372036854775807, -9223372036854775808, 4294967296]
SPECIAL_DATES = ["2024-01-02", "2024-01-03", "2020-02-29", "1999-12-31", "infinity", "-infinity",
                 "4713-01-01 BC", "5874897-12-31", "2000-01-01", "1970-01-01"]
SPECIAL_TS = ["2024-01-02 00:00:00+00", "2025-06-30 08:00:00+00", "infinity", "-infinity",
              "4713-01-01 00:00:00+00 BC", "294276-12-31 23:59:59+00", "epoch",
              "2024-01-02 00:00:00.000001+00"]
BASE_WORDS = ["", " ", "call", "put", "c", "p", "C", "P", "CALL", "Put", "future", "option", "spot",
              "linear", "inverse", "span", "tims", "deribit", "okx", "grid", "var", "es", "mc",
              "hs", "fhs", "simple", "log", "sqrt", "overlapping", "gaussian", "student", "t",
              "returns", "prices", "price", "level", "up", "down", "none", "BTC", "ETH", "SPX",
              "X", "fz", "nosuch", "public", "portmargin", "pg_catalog", "$body$", "a\"b", "a'b",
              "\\", "NaN", "Infinity", "1e308", "-1", "0", "\u00e9t\u00e9", "\u65e5\u672c",
              "x" * 64, "y" * 63, "z" * 1000]


class Pools:
    """typed value pools; values of the extension's types grow as calls succeed"""

    def __init__(self, rng, words):
        self.rng = rng
        self.words = sorted(set(BASE_WORDS) | set(words))
        self.ext = {}           # type name -> list of (text form, finite)

    # -- scalars --
    def float8(self):
        r = self.rng.random()
        if r < 0.45:
            x = self.rng.choice(SPECIAL_FLOATS)
        elif r < 0.75:
            x = self.rng.uniform(-2, 2) * 10 ** self.rng.randint(-3, 5)
        else:
            x = math.exp(self.rng.uniform(math.log(1e-6), math.log(1e6)))
        return Lit("%s::float8" % q(fmt_float(x)), math.isfinite(x))

    def int4(self):
        if self.rng.random() < 0.6:
            v = self.rng.choice(SPECIAL_INTS)
        else:
            v = self.rng.randint(-5, 5000)
        return Lit("%d::int4" % v if v >= 0 else "(%d)::int4" % v)

    def int8(self):
        if self.rng.random() < 0.6:
            v = self.rng.choice(SPECIAL_BIGINTS)
        else:
            v = self.rng.randint(-5, 5000)
        return Lit("(%d)::int8" % v)

    def text_value(self):
        r = self.rng.random()
        if r < 0.75:
            return self.rng.choice(self.words)
        if r < 0.9:
            n = self.rng.randint(0, 40)
            return "".join(self.rng.choice("abcxyzABC_-0123456789 .,;:$'\"\\/{}()[]\u00e9") for _ in range(n))
        return "".join(chr(self.rng.randint(1, 0x2FFF)) for _ in range(self.rng.randint(1, 20)))

    def text(self):
        return Lit("%s::text" % q(self.text_value()))

    def cstring(self):
        # type input: mostly mutated text forms of the extension's values
        vals = [v for lst in self.ext.values() for v in lst]
        if vals and self.rng.random() < 0.7:
            s = mutate_text(self.rng, self.rng.choice(vals)[0])
        else:
            s = self.text_value()
        return Lit("%s::cstring" % q(s), False)

    def date(self):
        if self.rng.random() < 0.5:
            d = self.rng.choice(SPECIAL_DATES)
        else:
            d = "2020-01-01"
            return Lit("(date '2020-01-01' + %d)" % self.rng.randint(-400, 2000))
        return Lit("%s::date" % q(d))

    def timestamptz(self):
        if self.rng.random() < 0.6:
            return Lit("%s::timestamptz" % q(self.rng.choice(SPECIAL_TS)))
        return Lit("(timestamptz '2024-01-01 00:00:00+00' + interval '%d seconds')"
                   % self.rng.randint(-10 ** 9, 10 ** 9))

    def boolean(self):
        return Lit(self.rng.choice(["true", "false"]))

    def regrole(self):
        # the grant helpers' grantee: an existing role or NULL (an unknown name fails in the cast to regrole, before the call)
        return Lit(self.rng.choice(["'pg_monitor'::regrole", "current_user::regrole",
                                    "NULL::regrole"]))

    # -- arrays --
    def array(self, elem, elem_type):
        r = self.rng.random()
        if r < 0.08:
            return Lit("'{}'::%s[]" % elem_type)
        if r < 0.12:
            return Lit("'{NULL}'::%s[]" % elem_type)
        if r < 0.17 and elem_type == "float8":
            # 2-D
            n = self.rng.randint(1, 3)
            m = self.rng.randint(1, 3)
            rows = ["{%s}" % ",".join(fmt_float(self.rng.uniform(-1, 1)) for _ in range(m)) for _ in range(n)]
            return Lit("'{%s}'::float8[]" % ",".join(rows))
        if r < 0.22:
            # large (generated server-side, deterministic)
            n = self.rng.choice([1000, 20000, 200000])
            if elem_type == "float8":
                return Lit("(SELECT array_agg(((i * 7919) %% 2001 - 1000)::float8 / 10000) FROM generate_series(1, %d) i)" % n)
            if elem_type == "date":
                return Lit("(SELECT array_agg(date '2000-01-01' + i) FROM generate_series(1, %d) i)" % n)
            return Lit("(SELECT array_agg('u' || (i %% 7)) FROM generate_series(1, %d) i)" % n)
        if r < 0.26 and elem_type == "float8":
            return Lit("'[0:1]={0.1,0.2}'::float8[]")
        n = self.rng.choice([1, 1, 2, 2, 3, 4, 5, 10, 27, 100])
        items = []
        finite = True
        for _ in range(n):
            if self.rng.random() < 0.05:
                items.append("NULL")
                continue
            lit = elem()
            finite = finite and lit.finite
            items.append(lit.sql)
        return Lit("ARRAY[%s]::%s[]" % (",".join(items), elem_type), finite)

    # -- the extension's types --
    def ext_value(self, typname):
        vals = self.ext.get(typname, [])
        r = self.rng.random()
        if vals and r < 0.8:
            text, finite = self.rng.choice(vals)
            if r < 0.7:
                return Lit("%s::%s.%s" % (q(text), EXT, typname), finite)
            return Lit("%s::%s.%s" % (q(mutate_text(self.rng, text)), EXT, typname), False)
        if typname == "scenario_set":
            return Lit("%s.preset(%s)" % (EXT, q(self.rng.choice(self.presets))))
        if typname == "rulebook":
            return Lit("%s.rulebook(%s.preset(%s))" % (EXT, EXT, q(self.rng.choice(self.presets))))
        if typname == "span_parameters":
            return Lit("%s::%s.span_parameters" % (q(self.rng.choice(SPAN_DOCUMENTS)), EXT))
        if typname == "span_portfolio":
            return Lit("(%s)" % SPAN_PORTFOLIO_SQL)
        return Lit("NULL::%s.%s" % (EXT, typname))

    def jsonb(self):
        if self.rng.random() < 0.6:
            return Lit("%s::jsonb" % q(self.rng.choice(SPAN_DOCUMENTS)))
        return Lit("%s::jsonb" % q(self.rng.choice(['{}', '[]', '1', '{"combined_commodities": 1}',
                                                      '{"combined_commodities": [{"cc": ""}]}',
                                                      '{"combined_commodities": [{"cc": "X", "currency": "USD", "intra_spreads": [{}]}]}'])))

    def remember(self, typname, text, finite):
        lst = self.ext.setdefault(typname, [])
        if len(text) <= 50000 and len(lst) < 60 and (text, finite) not in lst:
            lst.append((text, finite))


def mutate_text(rng, s):
    """one to three edits of a text form"""
    s = list(s)
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(7)
        if not s:
            s = list("0")
        i = rng.randrange(len(s))
        if op == 0:                                   # change a character
            s[i] = rng.choice("0123456789abcdefxX{},-.eE+NaIfy \\")
        elif op == 1:                                 # truncate
            s = s[:i]
        elif op == 2:                                 # delete a run
            del s[i:i + rng.randint(1, 16)]
        elif op == 3:                                 # duplicate a run
            j = min(len(s), i + rng.randint(1, 64))
            s[j:j] = s[i:j]
        elif op == 4:                                 # hex digit (state / set hex forms)
            s[i] = rng.choice("0123456789abcdef")
        elif op == 5:                                 # insert a number
            s[i:i] = list(rng.choice(["NaN", "1e308", "-1", "2147483647", "ffffffff", "7fffffff",
                                      "80000000", "0", "Infinity", "4294967296"]))
        else:                                         # 8 hex digits to a boundary value
            s[i:i + 8] = list(rng.choice(["ffffffff", "7fffffff", "80000000", "00000000", "7ff80000",
                                          "7ff00000", "000fffff"]))
    return "".join(s)


# ---------------------------------------------------------------------------
# the catalogue
# ---------------------------------------------------------------------------


class Func:
    def __init__(self, row):
        (self.oid, self.name, self.kind, self.argtypes, self.ndefaults, self.retset,
         self.rettype, self.identity, argnames) = row
        # format_type quotes a type named by a keyword (portmargin."position")
        self.argtypes = [t.replace('"', '') for t in self.argtypes]
        self.rettype = self.rettype.replace('"', '')
        self.argnames = list(argnames or []) + [""] * len(self.argtypes)

    def __repr__(self):
        return "%s(%s)" % (self.name, self.identity)


def catalogue(srv):
    rows = srv.value("""
        SELECT p.oid, p.proname, p.prokind, array(SELECT format_type(t, NULL) FROM unnest(p.proargtypes) t),
               p.pronargdefaults, p.proretset, format_type(p.prorettype, NULL),
               pg_get_function_identity_arguments(p.oid), p.proargnames
        FROM pg_proc p
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = '%s'
        ORDER BY p.proname, 8""" % EXT)
    funcs = []
    for r in rows:
        f = Func(r)
        if "internal" in f.argtypes or f.kind not in ("f", "a"):
            continue           # aggregate support functions: reached through the aggregates
        if r[6] == "trigger":
            continue           # trigger functions: reached through their tables' DML (test/config.sql)
        if f.name in ("live_margin_worker_launch", "start_live_margin_worker", "stop_live_margin_worker",
                      "enable_live_margin", "disable_live_margin"):
            continue           # start background workers or put triggers on the fuzz schema: test/live_margin.sql
        funcs.append(f)
    types = srv.value("""
        SELECT t.typname, t.typtype, t.typsend::regproc::text
        FROM pg_type t
        JOIN pg_depend d ON d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'
        JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = '%s'
        WHERE t.typtype IN ('b', 'c') ORDER BY 1""" % EXT)
    return funcs, types


# plausible values by argument name, drawn half of the time, so that calls
# get past argument checking into the computation
HINTS_TEXT = {
    "option_type": ["call", "put"], "kind": ["future", "option", "spot"],
    "settlement": ["linear", "inverse"], "underlying": ["BTC", "ETH", "X"],
    "statistic": ["var", "es", "expected_shortfall"], "returns": ["simple", "log", "absolute", "relative"],
    "copula": ["gaussian", "student"], "scaling": ["sqrt", "overlapping", "none"],
    "input": ["prices", "returns"], "vol_rule": ["relative", "absolute", "none"],
    "target": ["fz", "fz2"], "name": None,
}
HINTS_FLOAT = {
    "t": (1 / 365.0, 2.0), "vol": (0.05, 1.5), "price": (0.01, 50.0), "spot": (50.0, 150.0),
    "strike": (50.0, 150.0), "forward": (50.0, 150.0), "rate": (-0.02, 0.1), "dividend": (0.0, 0.05),
    "confidence": (0.5, 0.999), "quantity": (-10.0, 10.0), "multiplier": (1.0, 100.0),
    "index_price": (50.0, 150.0), "weight": (0.0, 1.0), "stressed_weight": (0.0, 1.0),
    "buffer": (0.0, 0.5), "search_range": (0.1, 0.9), "margin": (0.0, 10.0), "pnl": (-10.0, 10.0),
    "seed": (0.0, 1.0), "df": (3.0, 30.0), "ewma_lambda": (0.9, 0.99),
}
HINTS_INT = {"n": (1, 2000), "buckets": (1, 20), "points": (1, 20), "horizon": (1, 10),
             "lookback": (2, 500), "accounts": (1, 30), "floor_count": (0, 5), "account_id": (1, 20)}

# estimate_correlation / nearest_correlation (issue 16, point 7)
HINTS_TEXT["method"] = ["sample", "ewma"]
HINTS_FLOAT.update({"shrinkage": (0.0, 1.0), "tolerance": (1e-12, 1e-4)})
HINTS_INT["max_iterations"] = (1, 2000)

# a SPAN portfolio of three positions (two combined commodities, three months)
SPAN_PORTFOLIO_SQL = ("SELECT portmargin.span_portfolio(cc, 202603 + m, q, "
                      "'{0,0,-1000,-1000,1000,1000,-2000,-2000,2000,2000,-3000,-3000,3000,3000,-2970,2970}'::float8[], 1, NULL, NULL) "
                      "FROM (VALUES ('C', 0, 2::float8), ('S', 3, -1), ('C', 1, -1)) v(cc, m, q)")

# documents of published SPAN parameters (doc/span.md): valid ones, for span_parameters and jsonb arguments
SPAN_DOCUMENTS = [
    '{"combined_commodities": [{"cc": "C", "currency": "USD"}, {"cc": "S", "currency": "USD"}], '
    '"inter_spreads": [{"priority": 1, "credit_rate": 55, "legs": [{"cc": "C", "ratio": 2, "side": "A"}, {"cc": "S", "side": "B"}]}]}',
    '{"combined_commodities": [{"cc": "C", "currency": "USD", "som_rate": 100, "som_method": 1, "initial_ratios": [1.1, 1.2, 1.35], '
    '"intra_tiers": [{"tier": 1, "start": 202603, "end": 202603}, {"tier": 2, "start": 202604}], '
    '"intra_spreads": [{"priority": 1, "rate": 50, "legs": [{"tier": 1, "side": "A"}, {"tier": 2, "side": "B"}]}], '
    '"spot_months": [{"month": 202603, "rate_consumed": 10, "rate_remaining": 20}]}, {"cc": "S", "currency": "USD", '
    '"wfpr_method": 3, "price_scan_range": 2500, "scan_tiers": [{"tier": 1, "end": 202606}, {"tier": 2, "start": 202607}]}]}',
]


def literal_for(pools, typ, name=""):
    if name and pools.rng.random() < 0.5:
        t = typ.split(".")[-1]
        if t == "text" and name in HINTS_TEXT:
            choices = HINTS_TEXT[name] or pools.presets
            return Lit("%s::text" % q(pools.rng.choice(choices)))
        if t == "double precision" and name in HINTS_FLOAT:
            lo, hi = HINTS_FLOAT[name]
            return Lit("%s::float8" % q(fmt_float(pools.rng.uniform(lo, hi))))
        if t == "integer" and name in HINTS_INT:
            lo, hi = HINTS_INT[name]
            return Lit("%d::int4" % pools.rng.randint(lo, hi))
        if t == "bigint" and name in HINTS_INT:
            lo, hi = HINTS_INT[name]
            return Lit("%d::int8" % pools.rng.randint(lo, hi))
    t = typ
    if t.startswith(EXT + "."):
        t = t[len(EXT) + 1:]
    if t == "double precision":
        return pools.float8()
    if t == "double precision[]":
        return pools.array(pools.float8, "float8")
    if t == "integer":
        return pools.int4()
    if t == "bigint":
        return pools.int8()
    if t == "text":
        return pools.text()
    if t == "text[]":
        return pools.array(pools.text, "text")
    if t == "date":
        return pools.date()
    if t == "date[]":
        return pools.array(pools.date, "date")
    if t == "timestamp with time zone":
        return pools.timestamptz()
    if t == "boolean":
        return pools.boolean()
    if t == "regrole":
        return pools.regrole()
    if t == "cstring":
        return pools.cstring()
    if t == "jsonb":
        return pools.jsonb()
    if t in pools.ext or t in ("scenario_set", "margin_state", "margin", "rulebook", "position", "span_portfolio", "span_parameters"):
        return pools.ext_value(t)
    if t.endswith("[]") and (t[:-2] in pools.ext or t[:-2] in ("scenario_set", "rulebook")):
        # an ARRAY[...] of 0 to 3 values of the type (or a NULL element)
        elems = [pools.ext_value(t[:-2]) for _ in range(pools.rng.randint(0, 3))]
        if not elems:
            return Lit("ARRAY[]::%s.%s" % (EXT, t))
        return Lit("ARRAY[%s]::%s.%s" % (", ".join(e.sql for e in elems), EXT, t), all(e.finite for e in elems))
    raise KeyError("no pool for argument type %s" % typ)


def call_sql(f, args):
    """SQL of one call; an aggregate is called over rows of VALUES"""
    if f.kind == "a":
        nrows = len(args)
        if nrows == 0:
            return "SELECT (%s.%s(%s))::text FROM (SELECT %s WHERE false) v" % (
                EXT, f.name, ", ".join("NULL::%s" % t for t in f.argtypes),
                ", ".join("1" for _ in f.argtypes) or "1")
        cols = ["c%d" % i for i in range(len(f.argtypes))]
        values = ", ".join("(%s)" % ", ".join(a.sql for a in row) for row in args)
        return "SELECT (%s.%s(%s))::text FROM (VALUES %s) v(%s)" % (
            EXT, f.name, ", ".join(cols), values, ", ".join(cols))
    arglist = ", ".join(a.sql for a in args)
    if f.retset:
        return "SELECT x::text FROM %s.%s(%s) x LIMIT 500" % (EXT, f.name, arglist)
    return "SELECT (%s.%s(%s))::text" % (EXT, f.name, arglist)


# ---------------------------------------------------------------------------
# the oracle
# ---------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.calls = 0
        self.outcomes = {}        # sqlstate or 'ok' -> count
        self.new = []             # (function, kind, detail, sql)
        self.known_hits = {}      # id -> count
        self.crashes = 0
        self.slow = []            # (seconds, sqlstate, sql) of statements over 0.5 s

    def outcome(self, key):
        self.outcomes[key] = self.outcomes.get(key, 0) + 1

    def violation(self, fname, kind, sqlstate, message, sql):
        for k in KNOWN:
            if k["function"] != fname or k["kind"] != kind:
                continue
            if kind == "sqlstate" and not re.match(k["sqlstate"] + "$", sqlstate or ""):
                continue
            if k.get("message") and not re.search(k["message"], message or ""):
                continue
            self.known_hits[k["id"]] = self.known_hits.get(k["id"], 0) + 1
            return
        self.new.append((fname, kind, "%s %s" % (sqlstate or "", (message or "").splitlines()[0][:300]), sql))


def check(srv, rep, fname, sql, finite, copy_data=None, also_expected=None):
    """run one statement and apply the oracle; returns rows or None.
    finite: the arguments are all finite, so every number in the result
    must be (text fields, double-quoted in a row's text form, are not
    numbers and are skipped)"""
    rep.calls += 1
    t0 = time.time()
    st, msg, rows, crashed = srv.execute(sql, copy_data)
    if time.time() - t0 > 0.5 or st == "57014":
        rep.slow.append((time.time() - t0, st, sql[:300]))
    if crashed:
        rep.crashes += 1
        rep.outcome("crash")
        rep.violation(fname, "crash", None, msg, sql)
        return None
    if st:
        rep.outcome(st)
        if not EXPECTED.match(st) and not (also_expected and also_expected.match(st)):
            rep.violation(fname, "sqlstate", st, msg, sql)
        return None
    rep.outcome("ok")
    if finite:
        for row in rows:
            for v in row:
                if v is not None and NONFINITE.search(QUOTED.sub('""', str(v))):
                    rep.violation(fname, "nonfinite", None, str(v)[:200], sql)
                    return rows
    return rows


# ---------------------------------------------------------------------------
# setup shared by both modes
# ---------------------------------------------------------------------------


def harvest_words(root):
    """quoted lower-case words of the test suites and docs: the keyword pool"""
    words = set()
    for d in ("test", "sql", "doc"):
        p = os.path.join(root, d)
        if not os.path.isdir(p):
            continue
        for fn in sorted(os.listdir(p)):
            if fn.endswith((".sql", ".md")):
                with open(os.path.join(p, fn), encoding="utf-8", errors="replace") as f:
                    words.update(re.findall(r"'([a-z][a-z0-9_-]{0,24})'", f.read()))
    return words


def setup(srv, rng, root):
    pools = Pools(rng, harvest_words(root))
    pools.presets = [r[0] for r in srv.value("SELECT name FROM %s.scenario_presets ORDER BY 1" % EXT)]
    pools.words = sorted(set(pools.words) | set(pools.presets))
    for name in pools.presets:
        text = srv.value("SELECT %s.preset(%s)::text" % (EXT, q(name)))[0][0]
        pools.remember("scenario_set", text, True)
    # a reference schema with a small book, so that the functions that take
    # a schema name have one to work on
    srv.execute("SELECT %s.create_reference_schema('fz')" % EXT)
    srv.execute("SELECT %s.generate_demo_book('fz', 20, 1)" % EXT)
    # margin states of a few books (one per kind of scenario set, joint ones
    # included), for the readers
    for sset in ("%s.preset('span')" % EXT, "%s.preset('deribit-btc')" % EXT,
                 "%s.var_scenarios(ARRAY['X'], ARRAY[-0.1, 0, 0.1])" % EXT,
                 "%s.var_scenarios(ARRAY['X', 'Y'], ARRAY[-0.1, 0.05, 0, 0, 0.1, -0.05], NULL, '{1,2,1}')" % EXT,
                 "%s.monte_carlo_scenarios(ARRAY['X'], ARRAY[0.5], NULL, 100, 7)" % EXT,
                 "%s.with_ageing(%s.var_scenarios(ARRAY['X'], ARRAY[-0.1, 0, 0.1]), 2)" % (EXT, EXT)):
        st, msg, rows, crashed = srv.execute(
            "SELECT %s.portfolio_margin_state(q, 'X', k, o, 100, 0.25, 100, 0.5, 'linear', 1, NULL, %s)::text"
            " FROM (VALUES (1::float8, 'future', NULL), (-2, 'option', 'call')) v(q, k, o)" % (EXT, sset))
        if not st and not crashed and rows:
            pools.remember("margin_state", rows[0][0], True)
        # and the margin itself (composite portmargin.margin), for the functions that take one (margin_summary)
        st, msg, rows, crashed = srv.execute(
            "SELECT %s.portfolio_margin(q, 'X', k, o, 100, 0.25, 100, 0.5, 'linear', 1, NULL, %s)::text"
            " FROM (VALUES (1::float8, 'future', NULL), (-2, 'option', 'call')) v(q, k, o)" % (EXT, sset))
        if not st and not crashed and rows:
            pools.remember("margin", rows[0][0], True)
    # SPAN: a portfolio and parameter documents, for span_margin and the input fuzzer
    st, msg, rows, crashed = srv.execute("SELECT (%s)::text" % SPAN_PORTFOLIO_SQL)
    if not st and not crashed and rows:
        pools.remember("span_portfolio", rows[0][0], True)
    for doc in SPAN_DOCUMENTS:
        pools.remember("span_parameters", doc, True)
    # stress scenarios (the shipped library's) and a stress set of them, for stress_set, mirrored and stress_pnl
    st, msg, rows, crashed = srv.execute("SELECT scenario::text FROM %s.stress_library ORDER BY name" % EXT)
    for row in (rows if not st and not crashed else []):
        pools.remember("stress_scenario", row[0], True)
    st, msg, rows, crashed = srv.execute("SELECT %s.stress_set(array_agg(scenario ORDER BY name))::text FROM %s.stress_library"
                                         % (EXT, EXT))
    if not st and not crashed and rows:
        pools.remember("scenario_set", rows[0][0], True)
    # a joint set with option ageing (its parameter follows the moves)
    st, msg, rows, crashed = srv.execute("SELECT %s.with_ageing(%s.var_scenarios(ARRAY['X', 'Y'], ARRAY[-0.1, 0.05, 0, 0],"
                                         " ARRAY[0.1, 0, -0.05, 0]), 2)::text" % (EXT, EXT))
    if not st and not crashed and rows:
        pools.remember("scenario_set", rows[0][0], True)
    # aggregate rows (portmargin.position) of each kind, for the position-form aggregates
    for text in ("(1,X,option,linear,call,100,100,0.25,0.5,1,)", "(-2,X,future,linear,,100,,0.25,,1,)",
                 "(1,BTC,perpetual,inverse,,100,,,,1,100)", "(3,X,order:option,linear,put,100,90,0.1,0.4,1,)",
                 "(2,X,mmp,linear,,100,,,,,)"):
        pools.remember("position", text, True)
    # version-1 margin states written by 0.2.0
    fx = os.path.join(root, "test", "fixtures", "margin_state_v1.txt")
    if os.path.exists(fx):
        with open(fx) as f:
            for line in f:
                if "|" in line and not line.startswith("#"):
                    pools.remember("margin_state", line.split("|", 1)[1].strip(), True)
    return pools


def remember_result(pools, f, rows, finite):
    t = f.rettype
    if t.startswith(EXT + "."):
        t = t[len(EXT) + 1:]
    if t in ("scenario_set", "margin_state", "margin", "position") and rows and rows[0][0] is not None:
        pools.remember(t, rows[0][0], finite)


# ---------------------------------------------------------------------------
# modes
# ---------------------------------------------------------------------------


def fuzz_functions(srv, rng, pools, funcs, calls, seconds, rep):
    per = max(1, calls // max(1, len(funcs)))
    deadline = time.time() + seconds if seconds else None
    per_func = {}
    # round-robin so that a time limit still reaches every function
    for rnd in range(per):
        for f in funcs:
            if deadline and time.time() > deadline:
                return per_func
            if f.kind == "a":
                args = [[literal_for(pools, t, n) for t, n in zip(f.argtypes, f.argnames)]
                        for _ in range(rng.choice([0, 1, 1, 2, 3, 5]))]
                flat = [a for row in args for a in row]
            else:
                nargs = len(f.argtypes)
                if f.ndefaults and rng.random() < 0.3:
                    nargs -= rng.randint(1, f.ndefaults)
                args = [literal_for(pools, t, n) for t, n in zip(f.argtypes[:nargs], f.argnames)]
                flat = args
            # the finiteness oracle is about numbers: not for text results
            finite = all(a.finite for a in flat) and f.rettype not in ("text", "cstring")
            sql = call_sql(f, args)
            rows = check(srv, rep, f.name, sql, finite)
            per_func[f.name] = per_func.get(f.name, 0) + 1
            if rows is not None:
                remember_result(pools, f, rows, finite)
    return per_func


def mutate_bytes(rng, b):
    b = bytearray(b)
    for _ in range(rng.randint(1, 4)):
        if not b:
            b = bytearray(b"\0")
        op = rng.randrange(6)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            del b[i:]
        elif op == 2:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif op == 3:
            v = rng.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0x10000, 1000000000])
            b[i:i + 4] = struct.pack(">I", v)
        elif op == 4:
            v = rng.choice([float("nan"), float("inf"), -float("inf"), 1e308, -0.0, 5e-324, 0.0])
            b[i:i + 8] = struct.pack(">d", v)
        else:
            j = min(len(b), i + rng.randint(1, 64))
            b[j:j] = b[i:j]
    return bytes(b)


def copy_binary_payload(value):
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
    tup = struct.pack(">hi", 1, len(value)) + value
    return header + tup + struct.pack(">h", -1)


def fuzz_inputs(srv, rng, pools, funcs, types, cases, seconds, rep):
    deadline = time.time() + seconds if seconds else None
    users = {}   # type -> functions with an argument of that type
    for f in funcs:
        for t in f.argtypes:
            if t.startswith(EXT + "."):
                users.setdefault(t[len(EXT) + 1:], []).append(f)
    # seeds: values of each type from calls of the functions returning it
    seeds = {}
    for typname, typtype, typsend in types:
        vals = [v for v, _ in pools.ext.get(typname, [])]
        producers = [f for f in funcs if f.rettype in (EXT + "." + typname, typname)]
        tries = 0
        while len(vals) < 8 and producers and tries < 200:
            tries += 1
            f = rng.choice(producers)
            args = [literal_for(pools, t, n) for t, n in zip(f.argtypes, f.argnames)]
            if f.kind == "a":
                args = [args, [literal_for(pools, t, n) for t, n in zip(f.argtypes, f.argnames)]]
            st, msg, rows, crashed = srv.execute(call_sql(f, args))
            if not st and not crashed and rows and rows[0][0] is not None:
                vals.append(rows[0][0])
        if not vals and typtype == "c":
            # a composite nothing produced: a row of ones (valid for numbers, text and bool)
            n = srv.value("SELECT count(*) FROM pg_attribute WHERE attrelid = '%s.%s'::regclass"
                          " AND attnum > 0 AND NOT attisdropped" % (EXT, typname))[0][0]
            vals.append("(" + ",".join(["1"] * n) + ")")
        seeds[typname] = (typtype, typsend, vals)
        srv.execute("DROP TABLE IF EXISTS fz_bin_%s" % typname)
        srv.execute("CREATE TABLE fz_bin_%s (v %s.%s)" % (typname, EXT, typname))
    names = [t for t in sorted(seeds) if seeds[t][2]]
    per_type = {}
    for i in range(cases):
        if deadline and time.time() > deadline or not names:
            break
        typname = names[i % len(names)]
        typtype, typsend, vals = seeds[typname]
        per_type[typname] = per_type.get(typname, 0) + 1
        seed = rng.choice(vals)
        fq = "%s.%s" % (EXT, typname)
        if rng.random() < 0.5:
            # text input
            text = mutate_text(rng, seed)
            expr = "%s::%s" % (q(text), fq)
            rows = check(srv, rep, typname, "SELECT (%s)::text" % expr, False)
        else:
            # binary input through COPY
            sendfn = typsend if typtype == "b" else "record_send"
            st, msg, r, crashed = srv.execute("SELECT encode(%s(%s::%s), 'hex')" % (sendfn, q(seed), fq))
            if st or crashed or not r:
                continue
            data = mutate_bytes(rng, bytes.fromhex(r[0][0]))
            srv.execute("TRUNCATE fz_bin_%s" % typname)
            rows = check(srv, rep, typname,
                         "COPY fz_bin_%s FROM STDIN (FORMAT binary)  -- value (hex): %s" % (typname, data.hex()),
                         False, copy_data=copy_binary_payload(data),
                         also_expected=EXPECTED_COMPOSITE_RECV if typtype == "c" else None)
            if rows is None:
                continue
            rows = check(srv, rep, typname, "SELECT v::text FROM fz_bin_%s" % typname, False)
            if not rows or rows[0][0] is None:
                continue
            expr = "%s::%s" % (q(rows[0][0]), fq)
        if rows is None:
            continue
        # use the value: send it, and pass it to functions that take the type
        check(srv, rep, typname, "SELECT length(%s(%s))" % (typsend if typtype == "b" else "record_send", expr), False)
        for f in rng.sample(users.get(typname, []), min(3, len(users.get(typname, [])))):
            if f.kind == "a":
                args = [[Lit(expr, False) if t == fq else literal_for(pools, t, n)
                         for t, n in zip(f.argtypes, f.argnames)] for _ in range(rng.randint(1, 3))]
            else:
                args = [Lit(expr, False) if t == fq else literal_for(pools, t, n)
                        for t, n in zip(f.argtypes, f.argnames)]
            check(srv, rep, f.name, call_sql(f, args), False)
    for typname in seeds:
        srv.execute("DROP TABLE IF EXISTS fz_bin_%s" % typname)
    return per_type


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def server_log_crashes(path, start):
    if not path or not os.path.exists(path):
        return None
    with open(path, errors="replace") as f:
        f.seek(start)
        return [l.rstrip() for l in f if "terminated by signal" in l]


def sanitizer_reports(path):
    """test/run.sh sanitize: classify the sanitizer report lines in path"""
    with open(path, errors="replace") as f:
        lines = sorted(set(l.strip() for l in f if l.strip()))
    known = [k for k in KNOWN if k["kind"] == "ubsan"]
    new = []
    for line in lines:
        hit = [k for k in known if re.search(k["message"], line)]
        if hit:
            print("known finding %s: %s" % (hit[0]["id"], line))
        else:
            new.append(line)
    for line in new:
        print("NEW SANITIZER REPORT: %s" % line)
    if not lines:
        print("no sanitizer report (UBSan: the extension in the backends and the numeric self-test; "
              "AddressSanitizer: the numeric self-test)")
    return 1 if new else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "sanitizer-reports":
        return sanitizer_reports(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["functions", "inputs"])
    ap.add_argument("--calls", type=int, default=4000, help="functions: calls in all (default 4000)")
    ap.add_argument("--cases", type=int, default=2000, help="inputs: mutated values in all (default 2000)")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this many seconds (0: no limit)")
    ap.add_argument("--seed", type=int, default=20261202)
    ap.add_argument("--timeout-ms", type=int, default=2000, help="statement_timeout of each call")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()

    root = os.path.dirname(os.path.dirname(HERE))
    log = os.environ.get("PM_SERVER_LOG")
    log_start = os.path.getsize(log) if log and os.path.exists(log) else 0
    rng = random.Random(a.seed)
    srv = Server(a.timeout_ms)
    funcs, types = catalogue(srv)
    pools = setup(srv, rng, root)
    rep = Report()
    t0 = time.time()
    if a.mode == "functions":
        covered = fuzz_functions(srv, rng, pools, funcs, a.calls, a.seconds, rep)
        what = "%d functions and aggregates" % len(covered)
        missing = sorted(set(f.name for f in funcs) - set(covered))
    else:
        covered = fuzz_inputs(srv, rng, pools, funcs, types, a.cases, a.seconds, rep)
        what = "%d types (%s)" % (len(covered), ", ".join("%s %d" % kv for kv in sorted(covered.items())))
        missing = sorted(set(t[0] for t in types) - set(covered))
    elapsed = time.time() - t0

    logged = server_log_crashes(log, log_start)
    if logged and len(logged) > rep.crashes:
        rep.new.append(("server log", "crash", "%d 'terminated by signal' lines, %d crashes seen by the fuzzer"
                        % (len(logged), rep.crashes), "\n".join(logged[:5])))

    top = ", ".join("%s %d" % kv for kv in sorted(rep.outcomes.items(), key=lambda kv: -kv[1])[:12])
    print("fuzz %s: seed %d, %d statements over %s in %.1f s; outcomes: %s"
          % (a.mode, a.seed, rep.calls, what, elapsed, top))
    if missing:
        rep.new.append(("coverage", "missing", "never called: %s" % ", ".join(missing), ""))
    if rep.slow and not a.quiet:
        for sec, st, sql in sorted(rep.slow, reverse=True)[:10]:
            print("slow statement: %.2f s %s %s" % (sec, st or "ok", sql))
    elif rep.slow:
        print("%d statement(s) over 0.5 s (%d timed out at %d ms)" % (
            len(rep.slow), sum(1 for s_ in rep.slow if s_[1] == "57014"), a.timeout_ms))
    for kid, n in sorted(rep.known_hits.items()):
        print("known finding %s: %d hit(s) (test/fuzz/known_findings.py)" % (kid, n))
    unused = [k["id"] for k in KNOWN if k["id"] not in rep.known_hits]
    if unused and not a.quiet:
        print("known findings not seen in this run (fixed? or not reached): %s" % ", ".join(unused))
    seen = set()
    for fname, kind, detail, sql in rep.new:
        key = (fname, kind, detail.split(" ")[0])
        if key in seen:
            continue
        seen.add(key)
        print("NEW FINDING %s %s: %s\n  reproducer: %s" % (fname, kind, detail, sql[:2000]))
    if rep.new:
        print("fuzz %s: %d new violation(s) (%d distinct)" % (a.mode, len(rep.new), len(seen)))
        return 1
    print("fuzz %s: no new violation" % a.mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())

-- pg_regress (make installcheck): SPAN from published risk arrays on an
-- installed build.  Every column is a check whose expected value is a
-- published example (cited) or derived in the comment above it, so the
-- expected output is all `t`.  test/span.sql, test/span_load.sql and
-- test/span_file.sql go much further.

-- CME's spread calculation page (https://www.cmegroup.com/clearing/margins/spread-calc.html):
-- Corn $1,750 x 2 against Soybeans $2,500 at 55%: 6,000 - 3,300 = $2,700; a future's array is its
-- outright times CME's scenario fractions (0, +-1/3, +-2/3, +-1 of the scan range; extremes 0.99)
WITH pos(cc, q, x) AS (VALUES ('C', 2, 1750.0), ('S', -1, 2500.0))
SELECT (m).maintenance_margin = 2700 AS "CME inter example: 2,700",
       (m).cross_margin_offset = 3300 AS "credit 3,300",
       array_length((m).units, 1) = 2 AS "one unit per combined commodity"
FROM (SELECT portmargin.span_margin(cc, 202603, q,
               ARRAY[0, 0, -x/3, -x/3, x/3, x/3, -2*x/3, -2*x/3, 2*x/3, 2*x/3, -x, -x, x, x, -0.99*x, 0.99*x],
               1, NULL, NULL,
               '{"combined_commodities": [{"cc": "C", "currency": "USD"}, {"cc": "S", "currency": "USD"}],
                 "inter_spreads": [{"priority": 1, "credit_rate": 55,
                                    "legs": [{"cc": "C", "ratio": 2, "side": "A"}, {"cc": "S", "side": "B"}]}]}', 'S') AS m
      FROM pos) x;

-- the same page's calendar example: M2 $500 long, M4 $750 short, tier spread 2v4 $50: (750 - 500) + 50 = $300,
-- in two steps (a portfolio, then its margin)
WITH pos(month, q, x) AS (VALUES (202602, 1, 500.0), (202604, -1, 750.0))
SELECT (m).maintenance_margin = 300 AS "CME intra example: 300",
       (m).units[1].intra_spread_charge = 50 AS "spread charge 50"
FROM (SELECT portmargin.span_margin(portmargin.span_portfolio('X', month, q,
               ARRAY[0, 0, -x/3, -x/3, x/3, x/3, -2*x/3, -2*x/3, 2*x/3, 2*x/3, -x, -x, x, x, -0.99*x, 0.99*x],
               1, NULL, NULL),
             '{"combined_commodities": [{"cc": "X", "currency": "USD",
                "intra_tiers": [{"tier": 2, "start": 202602, "end": 202602}, {"tier": 4, "start": 202604, "end": 202604}],
                "intra_spreads": [{"priority": 1, "rate": 50, "legs": [{"tier": 2, "side": "A"}, {"tier": 4, "side": "B"}]}]}]}') AS m
      FROM pos) x;

-- a parameters document names what is wrong
SELECT portmargin.span_parameters('{"combined_commodities": [{"cc": "X"}]}');

#!/usr/bin/python3
"""test/span/make_sample.py: writes test/span/sample.pa2, the SPAN risk
parameter file portmargin ships for its tests and docs.

The file is synthetic: it follows CME's published layouts of the expanded
unpacked ("PA2", format U2) risk parameter file, column for column
(https://cmegroupclientsite.atlassian.net/wiki/spaces/pubspan/pages/46301203/Risk+Parameter+File+Layouts+for+the+Positional+Formats),
and its numbers are those of published worked examples, so that the margin
of each test account is known without portmargin:

  X   CME's spread calculation page (https://cmegroupclientsite... see
      README.md): outrights M2 $500, M3 $500, M4 $750; tier spreads
      2v3 $200, 2v4 $50, 3v4 $0.
  C,S the same page's inter-commodity example: Corn $1,750, Soybeans
      $2,500, 2:1 at 55%.
  Y   a hand-derived delivery-month case (README.md).
  SP  McMillan's S&P future and Dec 410 call arrays (Options as a
      Strategic Investment, ch. 34), in SPAN's sign (losses positive),
      with a settlement price of 20.00 x 50 = $1,000 per call.

No CME data is copied.  Run it to regenerate the file:
    /usr/bin/python3 test/span/make_sample.py > test/span/sample.pa2
"""
import sys


def rec(rid, fields, width=None):
    """a record: rid in columns 1-2, then {first column: text}"""
    line = [" "] * 200
    line[0:2] = list(rid.ljust(2))
    end = 2
    for col, text in fields.items():
        line[col - 1:col - 1 + len(text)] = list(text)
        end = max(end, col - 1 + len(text))
    if width:
        end = max(end, width)
    return "".join(line[:end])


def num(value, digits):
    return str(value).rjust(digits, "0")


def signed(value, digits):
    """digits, then a sign byte (the 81/82 array layout)"""
    return num(abs(value), digits) + ("-" if value < 0 else "+")


def fut(x):
    """a future whose outright (price scan) loss is x, CME's scenario order"""
    t = x // 3
    return [0, 0, -t, -t, t, t, -2 * t, -2 * t, 2 * t, 2 * t, -x, -x, x, x, -(x * 99 // 100), x * 99 // 100]


def arrays(exch, product, und, ptype, fmonth, values, delta, settle, pc=" ", omonth="", strike=0):
    key = {3: exch, 6: product.ljust(10), 16: und.ljust(10), 26: ptype, 29: pc, 30: str(fmonth),
           39: str(omonth) if omonth else "      ", 48: num(strike, 7)}
    r81 = dict(key)
    for k in range(9):
        r81[55 + 6 * k] = signed(values[k], 5)
    r82 = dict(key)
    for k in range(7):
        r82[55 + 6 * k] = signed(values[9 + k], 5)
    r82[97] = num(round(abs(delta) * 10000), 5)
    r82[102] = "-" if delta < 0 else "+"
    r82[103] = "00000000"
    r82[111] = num(abs(settle), 7)
    r82[118] = "-" if settle < 0 else "+"
    r82[119] = "+"
    return [rec("81", r81, 108), rec("82", r82, 119)]


def main():
    out = []
    out.append(rec("0 ", {3: "CME   ", 9: "20261202", 17: "S", 18: "F ", 20: "1800", 24: "20261202", 32: "1830",
                          36: "U2"}))
    out.append(rec("1 ", {3: "CME", 8: "01"}))
    # combined commodities: exchange, cc, risk exponent 0, USD, premium-style options
    for cc, products in (("X", [("X", "FUT")]), ("C", [("C", "FUT")]), ("S", [("S", "FUT")]),
                         ("Y", [("Y", "FUT")]), ("SP", [("SP", "FUT"), ("SP", "OOF")])):
        f = {3: "CME", 7: cc.ljust(6), 13: "0", 14: "USD", 17: "$", 18: "P", 19: "N"}
        for i, (p, t) in enumerate(products):
            f[23 + 16 * i] = p.ljust(10)
            f[33 + 16 * i] = t
            f[36 + 16 * i] = "0"
            f[37 + 16 * i] = "+"
        out.append(rec("2 ", f))
    # scanning: whole commodity (01), weighted futures price risk method 1
    for cc in ("X", "C", "S", "Y", "SP"):
        out.append(rec("S ", {3: cc.ljust(6), 9: "01", 11: "00", 83: "1"}))
    # X: CME's example, a tier per month; ratios 9V9(3): member 1.000, hedger 1.000, speculator 1.100
    out.append(rec("3 ", {3: "X     ", 9: "10", 11: "02202602202602", 25: "03202603202603", 39: "04202604202604",
                          69: "1000", 73: "1000", 77: "1100"}))
    for prio, a, b, rate in ((1, 2, 3, 200), (2, 2, 4, 50), (3, 3, 4, 0)):
        out.append(rec("C ", {3: "X     ", 9: "10", 11: num(prio, 2), 13: "02", 15: num(rate, 7),
                              22: "01" + num(a, 2) + "01A", 29: "02" + num(b, 2) + "01B"}))
    # Y: tier 1 = Mar (the spot month), tier 2 = Jun-Dec; ratios member 1.100, hedger 1.200, speculator 1.350
    out.append(rec("3 ", {3: "Y     ", 9: "10", 11: "01202603202603", 25: "02202606202612",
                          69: "1100", 73: "1200", 77: "1350"}))
    out.append(rec("C ", {3: "Y     ", 9: "10", 11: "01", 13: "02", 15: num(100, 7), 22: "0101" + "01A", 29: "0202" + "01B"}))
    # delivery months and SOM: Y's Mar: $40 per delta consumed by spreads, $70 per delta left; maintenance factors 1.00
    out.append(rec("4 ", {3: "Y     ", 9: "10", 11: "01", 13: "01202603" + num(40, 7) + num(70, 7),
                          63: num(0, 7), 70: "100", 73: "100", 76: "100", 79: "2"}))
    out.append(rec("4 ", {3: "SP    ", 9: "10", 11: "00", 63: num(0, 7), 70: "100", 73: "100", 76: "100", 79: "2"}))
    # groups, and the Corn/Soybean inter spread: 55% (9(3)V9(4)), 2 C deltas (side A) against 1 S delta (side B)
    out.append(rec("5 ", {3: "GRN", 13: "C     S     "}))
    out.append(rec("5 ", {3: "OTH", 13: "X     Y     SP    "}))
    out.append(rec("6 ", {3: "GRN", 6: "0001", 10: num(550000, 7),
                          17: "CME", 20: " ", 21: "C     ", 27: num(20000, 7), 34: "A",
                          35: "CME", 38: " ", 39: "S     ", 45: num(10000, 7), 52: "B",
                          89: "01", 101: "W"}))
    # price conversion: settlement prices with 2 decimals, contract value factor 50 (9(7)V9(7)), exponent 0
    for p, t in (("SP", "FUT"), ("SP", "OOF")):
        out.append(rec("P ", {3: "CME", 6: p.ljust(10), 16: t, 19: "S&P SAMPLE     ", 34: "002", 37: "000",
                              42: num(500000000, 14), 66: "USD", 73: "+", 74: "00"}))
    # the arrays (per long contract, losses positive)
    out += arrays("CME", "X", "X", "FUT", 202602, fut(500), 1.0, 0)
    out += arrays("CME", "X", "X", "FUT", 202603, fut(500), 1.0, 0)
    out += arrays("CME", "X", "X", "FUT", 202604, fut(750), 1.0, 0)
    out += arrays("CME", "C", "C", "FUT", 202603, fut(1750), 1.0, 0)
    out += arrays("CME", "S", "S", "FUT", 202603, fut(2500), 1.0, 0)
    out += arrays("CME", "Y", "Y", "FUT", 202603, fut(1000), 1.0, 0)
    out += arrays("CME", "Y", "Y", "FUT", 202606, fut(1200), 1.0, 0)
    mcmillan_future = [0, 0, -3330, -3330, 3330, 3330, -6670, -6670, 6670, 6670, -10000, -10000, 10000, 10000, -7000, 7000]
    mcmillan_call = [-460, 610, -2640, -1730, 1270, 2340, -5210, -4540, 2540, 3430, -8060, -7640, 3380, 3990, -3130, 1500]
    out += arrays("CME", "SP", "SP", "FUT", 202612, mcmillan_future, 1.0, 41000)
    out += arrays("CME", "SP", "SP", "OOF", 202612, mcmillan_call, 0.6, 2000, pc="C", omonth=202612, strike=410)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

# portmargin: PGXS build.  `make && make install`, then `make installcheck`
# (pg_regress) against a running server; `bash test/run.sh all` runs everything.

EXTENSION   = portmargin
MODULE_big  = portmargin
OBJS        = src/portmargin.o src/sqlargs.o src/pricing.o src/implied_vol.o src/pricing_sql.o \
              src/riskarray.o src/scenario.o src/margin.o src/margin_agg.o \
              src/method.o src/method_span.o src/method_tims.o src/method_deribit.o \
              src/method_okx.o src/method_grid.o src/method_var.o src/margin_state.o \
              src/tailstat.o src/historical.o src/montecarlo.o src/var_sql.o \
              src/backtest.o src/backtest_sql.o src/liquidation.o src/rulebook.o \
              src/collateral.o src/collateral_sql.o src/progress.o src/live_worker.o \
              src/span.o src/span_params.o src/span_sql.o src/span_file.o src/stress.o src/stress_sql.o \
              src/stressed_window.o src/vol_moves.o src/apc.o \
              src/estimate.o src/estimate_sql.o src/history_args.o \
              src/var_tail.o src/var_tail_sql.o

DATA        = $(wildcard sql/portmargin--*.sql)
# pg_regress inputs are sql/*.sql except the install/upgrade scripts
REGRESS     = $(sort $(basename $(notdir $(filter-out sql/portmargin--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --load-extension=portmargin

GSL_CFLAGS := $(shell pkg-config --cflags gsl 2>/dev/null || gsl-config --cflags)
GSL_LIBS   := $(shell pkg-config --libs gsl 2>/dev/null || gsl-config --libs)
PG_CPPFLAGS = -I$(srcdir)/src $(GSL_CFLAGS)
# sqrt as one instruction: portmargin never reads errno from libm
PG_CFLAGS   = -fno-math-errno
SHLIB_LINK  = $(GSL_LIBS)

EXTRA_CLEAN = test/c/test_numeric

# Sanitizer builds (bash test/run.sh sanitize): make SANITIZE=undefined or
# SANITIZE=address adds the flags below to COPT (compile and link, the
# extension and the numeric self-test); the default build is unchanged.
# float-cast-overflow is not part of -fsanitize=undefined in GCC.
SANITIZE_FLAGS_undefined = -fsanitize=undefined,float-cast-overflow -fno-omit-frame-pointer
SANITIZE_FLAGS_address = -fsanitize=address -fno-omit-frame-pointer
ifdef SANITIZE
override COPT += $(SANITIZE_FLAGS_$(SANITIZE))
endif

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Stand-alone check of the pure numeric core (no server needed).
NUMERIC_SRCS = src/pricing.c src/implied_vol.c src/riskarray.c src/margin.c src/tailstat.c \
               src/method.c $(wildcard src/method_*.c) src/span.c src/stress.c src/var_tail.c
test/c/test_numeric: test/c/test_numeric.c $(NUMERIC_SRCS) $(wildcard src/*.h)
	$(CC) -O2 -Wall -Wextra $(COPT) -Isrc $(GSL_CFLAGS) -o $@ test/c/test_numeric.c $(NUMERIC_SRCS) $(GSL_LIBS) -lm

numericcheck: test/c/test_numeric
	./test/c/test_numeric

.PHONY: numericcheck

# PGXS tracks no header dependencies unless the server was configured with
# --enable-depend: rebuild every object when a header changes.
$(OBJS): $(wildcard src/*.h)

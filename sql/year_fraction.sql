-- pg_regress: ACT/365 year fractions (elapsed seconds / (365 x 86,400)).
SELECT portmargin.year_fraction('2026-01-01 00:00+00', '2027-01-01 00:00+00') AS one_year,
       round((portmargin.year_fraction('2024-01-01 00:00+00', '2025-01-01 00:00+00') * 365)::numeric, 9) AS leap_year_days,
       portmargin.year_fraction('2026-11-25 08:00+00', '2026-11-26 08:00+00') * 365 AS one_day_in_days,
       portmargin.year_fraction('2027-01-01 00:00+00', '2026-01-01 00:00+00') AS reversed;
-- daylight-saving changes do not matter: the difference is between instants
SET timezone = 'Europe/Berlin';
SELECT portmargin.year_fraction('2026-03-28 12:00', '2026-03-29 12:00') * 365 * 24 AS hours_across_dst;
RESET timezone;

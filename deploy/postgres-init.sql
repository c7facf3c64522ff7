-- Runs once, when compose's PostgreSQL volume is first created: the simulated directory's own
-- database (dictsim is another participant's system and never shares our tables).
CREATE DATABASE dictsim OWNER coredict;

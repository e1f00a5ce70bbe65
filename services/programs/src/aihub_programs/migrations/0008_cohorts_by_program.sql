-- A program's cohorts by index (`GET /programs`, the console's outcomes page): the cohorts table
-- holds few live rows but may span thousands of pages, since every seat decision updates its
-- cohort's counters (0004) and a bulk of decisions in one transaction leaves a version per
-- decision behind; a scan of them took 10 ms where the index takes a few microseconds.
CREATE INDEX cohorts_by_program ON cohorts (program_code, code);

-- Placeholder for migration 0004, which another branch owns; migrations must run without
-- gaps. The merger drops this file in favour of the real 0004.
SELECT 1;

-- Guardrail verdicts of each request: the rules that fired, as a JSON array of
-- {rule, type, action, stage, count}; NULL when none did. Never the matched text.
ALTER TABLE request_logs ADD COLUMN guardrails jsonb;

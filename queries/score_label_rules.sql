-- A published model name (a leaderboard's label: "claude-3-5-sonnet-20241022",
-- "o3-mini (high)", "Qwen2.5-Coder-32B-Instruct") as a canonical id: the run's setting in a
-- trailing parenthesis is dropped (it is the score's variant, not the model), a version
-- written with a hyphen between single digits ("3-5") is read as "3.5" as providers write
-- it, then canonical_model_rules. score_matches says which rule matched each score.
CREATE OR REPLACE MACRO score_label_rules(label) AS canonical_model_rules(
    regexp_replace(regexp_replace(trim(label), '\s*\([^()]*\)\s*$', ''),
                   '-([0-9])-([0-9])(-|$)', '-\1.\2\3'));

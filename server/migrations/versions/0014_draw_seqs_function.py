"""draw_seqs as one PostgreSQL function: a push draws its sequence numbers in one round trip (issue 8)

Revision ID: 0014_draw_seqs_function
Revises: 0013_scope_generation
Create Date: 2026-12-01

On PostgreSQL a push draws its ops' numbers under a short lock and takes its in-flight marker before
letting go (``server.services.log_end``): four statements, so four round trips, for every push. This
function does the same four steps inside the database, in one call; the keys are passed in by
``log_end.draw_seqs``. The marker is a transaction-scoped lock, so it is held until the push's
transaction ends, as before. SQLite draws its numbers in Python (one writer at a time): nothing changes.
"""

from __future__ import annotations

from alembic import op

revision = "0014_draw_seqs_function"
down_revision = "0013_scope_generation"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION lianhu_draw_seqs(n integer, draw_key bigint, marker_space bigint, span bigint)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
    drawn bigint[];
BEGIN
    PERFORM pg_advisory_lock(draw_key);
    SELECT array_agg(s ORDER BY s) INTO drawn
      FROM (SELECT nextval(pg_get_serial_sequence('ops', 'seq')) AS s FROM generate_series(1, n)) AS numbers;
    PERFORM pg_advisory_xact_lock((marker_space + drawn[1] / span)::integer, (drawn[1] % span)::integer);
    PERFORM pg_advisory_unlock(draw_key);
    RETURN QUERY SELECT unnest(drawn);
EXCEPTION WHEN OTHERS THEN
    PERFORM pg_advisory_unlock(draw_key);
    RAISE;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION lianhu_draw_seqs(integer, bigint, bigint, bigint)")

"""one staff relation: information-point staff's areas live in area_managers, like managers' areas

The small grants (0009) kept staff areas in a table of their own, ``area_staff``, beside
``area_managers`` where the information point already looked. Both now read ``area_managers``
(the people who work for an area; the user's role says as what). Every ``area_staff`` row moves
there; the downgrade puts the staff's rows back.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO area_managers (area_id, user_id) "
        "SELECT s.area_id, s.user_id FROM area_staff s WHERE NOT EXISTS ("
        "SELECT 1 FROM area_managers m WHERE m.area_id = s.area_id AND m.user_id = s.user_id)"
    )
    op.drop_table('area_staff')


def downgrade() -> None:
    op.create_table('area_staff',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_area_staff_area_id_areas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_area_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('area_id', 'user_id', name=op.f('pk_area_staff'))
    )
    op.execute(
        "INSERT INTO area_staff (area_id, user_id) "
        "SELECT m.area_id, m.user_id FROM area_managers m JOIN users u ON u.id = m.user_id WHERE u.role = 'staff'"
    )

"""proposal location: a point on the map (latitude, longitude) and the photo's alt text

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('photo_alt', sa.String(length=200), nullable=False, server_default=''))
        batch_op.create_check_constraint(
            'point',
            "(latitude IS NULL AND longitude IS NULL) OR "
            "(latitude IS NOT NULL AND longitude IS NOT NULL "
            "AND latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180)")
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.alter_column('photo_alt', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint('ck_proposals_point', type_='check')
        batch_op.drop_column('photo_alt')
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')

"""results meta: a round's currency; an imported round keeps its file's whole META section

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('currency', sa.String(length=3), nullable=False, server_default='EUR'))
    with op.batch_alter_table('round_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meta_json', sa.Text(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('round_imports', schema=None) as batch_op:
        batch_op.drop_column('meta_json')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('currency')
